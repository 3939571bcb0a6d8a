package org.stbguest.operator.device;

import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

interface DeviceRepository extends JpaRepository<DeviceEntity, UUID> {

    Optional<DeviceEntity> findByTokenHash(String tokenHash);

    Optional<DeviceEntity> findBySerial(String serial);

    boolean existsBySerial(String serial);

    boolean existsByAccount(String account);


}
