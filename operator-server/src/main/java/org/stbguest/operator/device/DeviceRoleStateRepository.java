package org.stbguest.operator.device;

import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface DeviceRoleStateRepository extends JpaRepository<DeviceRoleState, DeviceRoleState.Key> {

    List<DeviceRoleState> findByKeyDeviceId(UUID deviceId);

    @Query("""
            select count(s) from DeviceRoleState s, DeviceEntity d
            where d.id = s.key.deviceId and s.key.role = :role and d.hardwareModel in :models
              and s.activeDigest = :digest""")
    long countActive(@Param("role") String role, @Param("digest") String digest, @Param("models") Collection<String> models);

    @Query("""
            select count(s) from DeviceRoleState s, DeviceEntity d
            where d.id = s.key.deviceId and s.key.role = :role and d.hardwareModel in :models
              and (s.activeDigest = :digest or s.stagedDigest = :digest)""")
    long countHolding(@Param("role") String role, @Param("digest") String digest, @Param("models") Collection<String> models);

    @Query("select s.activeDigest, count(s) from DeviceRoleState s where s.key.role = :role group by s.activeDigest")
    List<Object[]> versionMix(@Param("role") String role);
}
