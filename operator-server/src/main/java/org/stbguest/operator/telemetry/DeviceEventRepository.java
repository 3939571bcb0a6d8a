package org.stbguest.operator.telemetry;

import org.springframework.data.jpa.repository.JpaRepository;

interface DeviceEventRepository extends JpaRepository<DeviceEvent, Long> {

    long countByType(String type);
}
