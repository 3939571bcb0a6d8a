package org.stbguest.operator.image;

import java.util.List;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;

interface ImageRepository extends JpaRepository<ImageEntity, Long> {

    Optional<ImageEntity> findByRootDigest(String rootDigest);

    boolean existsByRoleAndVersion(String role, long version);

    List<ImageEntity> findAllByOrderByIdDesc();

    List<ImageEntity> findByRoleAndVersionLessThanOrderByVersionDesc(String role, long version);

    /** Marks an image damaged (the first damage found is kept); its own transaction, from any caller. */
    @org.springframework.transaction.annotation.Transactional(
            propagation = org.springframework.transaction.annotation.Propagation.REQUIRES_NEW)
    @org.springframework.data.jpa.repository.Modifying
    @org.springframework.data.jpa.repository.Query("""
            update ImageEntity i set i.damagedAt = :at, i.damage = :damage where i.id = :id and i.damagedAt is null""")
    int markDamaged(@org.springframework.data.repository.query.Param("id") long id,
                    @org.springframework.data.repository.query.Param("at") java.time.Instant at,
                    @org.springframework.data.repository.query.Param("damage") String damage);
}
