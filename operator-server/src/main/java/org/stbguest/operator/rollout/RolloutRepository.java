package org.stbguest.operator.rollout;

import java.util.Collection;
import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;

interface RolloutRepository extends JpaRepository<RolloutEntity, Long> {

    List<RolloutEntity> findByStateIn(Collection<RolloutState> states);

    boolean existsByRoleAndStateIn(String role, Collection<RolloutState> states);

    List<RolloutEntity> findByStateNotOrderByIdDesc(RolloutState state);

    List<RolloutEntity> findAllByOrderByIdDesc();

    List<RolloutEntity> findByRoleAndState(String role, RolloutState state);
}
