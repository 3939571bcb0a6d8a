package org.stbguest.operator.telemetry;

import org.springframework.data.jpa.repository.JpaRepository;

interface DeviceEventRepository extends JpaRepository<DeviceEvent, Long> {

    long countByType(String type);

    java.util.List<DeviceEvent> findByDeviceIdOrderByIdDesc(java.util.UUID deviceId,
                                                             org.springframework.data.domain.Pageable page);
}
