package org.stbguest.operator.transmission;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;

interface TransmissionRepository extends JpaRepository<TransmissionEntity, Long> {

    List<TransmissionEntity> findByStateInOrderById(Collection<TransmissionState> states);

    Optional<TransmissionEntity> findFirstByRolloutIdOrderByIdDesc(long rolloutId);
}
