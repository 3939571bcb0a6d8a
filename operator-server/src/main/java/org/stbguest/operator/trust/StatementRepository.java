package org.stbguest.operator.trust;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface StatementRepository extends JpaRepository<StatementEntity, Long> {

    Optional<StatementEntity> findFirstByStreamOrderBySequenceDesc(String stream);

    /** The statements to repeat on the control group now, the newest of each stream only. */
    @Query(value = """
            select * from statement s where s.broadcast_until > :now and s.sequence =
                (select max(t.sequence) from statement t where t.stream = s.stream)
            order by s.sequence""", nativeQuery = true)
    List<StatementEntity> broadcastNow(@Param("now") java.time.Instant now);

    /** The newest statement of each of the given streams. */
    @Query("""
            select s from StatementEntity s where s.stream in :streams and s.sequence =
              (select max(t.sequence) from StatementEntity t where t.stream = s.stream)
            order by s.sequence""")
    List<StatementEntity> latestOf(@Param("streams") Collection<String> streams);

    /** The newest statement of every stream. */
    @Query("""
            select s from StatementEntity s where s.sequence =
              (select max(t.sequence) from StatementEntity t where t.stream = s.stream)""")
    List<StatementEntity> latestOfEveryStream();
}
