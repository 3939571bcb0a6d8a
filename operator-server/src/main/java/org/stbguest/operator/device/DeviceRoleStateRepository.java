package org.stbguest.operator.device;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface DeviceRoleStateRepository extends JpaRepository<DeviceRoleState, DeviceRoleState.Key> {

    List<DeviceRoleState> findByKeyDeviceId(UUID deviceId);

    @Query("select s.activeDigest, count(s) from DeviceRoleState s where s.key.role = :role group by s.activeDigest")
    List<Object[]> versionMix(@Param("role") String role);
}
