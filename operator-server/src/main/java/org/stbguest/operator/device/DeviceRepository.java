package org.stbguest.operator.device;

import java.util.Collection;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

interface DeviceRepository extends JpaRepository<DeviceEntity, UUID> {

    Optional<DeviceEntity> findByTokenHash(String tokenHash);

    Optional<DeviceEntity> findBySerial(String serial);

    boolean existsBySerial(String serial);

    boolean existsByAccount(String account);

    long countByHardwareModelIn(Collection<String> models);

    @org.springframework.data.jpa.repository.Query("select d.id from DeviceEntity d where d.hardwareModel in :models")
    java.util.List<UUID> findIdsByHardwareModelIn(
            @org.springframework.data.repository.query.Param("models") Collection<String> models);
}
