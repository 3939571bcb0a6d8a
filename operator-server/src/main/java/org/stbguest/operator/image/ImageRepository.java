package org.stbguest.operator.image;

import java.util.List;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;

interface ImageRepository extends JpaRepository<ImageEntity, Long> {

    Optional<ImageEntity> findByRootDigest(String rootDigest);

    boolean existsByRoleAndVersion(String role, long version);

    List<ImageEntity> findAllByOrderByIdDesc();

    List<ImageEntity> findByRoleAndVersionLessThanOrderByVersionDesc(String role, long version);
}
