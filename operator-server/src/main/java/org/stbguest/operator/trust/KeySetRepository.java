package org.stbguest.operator.trust;

import java.util.List;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;

interface KeySetRepository extends JpaRepository<KeySetEntity, Long> {

    Optional<KeySetEntity> findFirstByOrderByVersionDesc();

    List<KeySetEntity> findByVersionGreaterThanOrderByVersion(long version);

    List<KeySetEntity> findAllByOrderByVersion();
}
