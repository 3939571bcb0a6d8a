package org.stbguest.operator.telemetry;

import java.time.Instant;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface TicketRepository extends JpaRepository<Ticket, Long> {

    java.util.Optional<Ticket> findByExternalId(String externalId);

    /** Tickets opened since {@code since} by boxes that now run {@code digest} for {@code role}. */
    @Query(value = """
            select count(*) from ticket t
            join device_role_state s on s.device_id = t.device_id and s.role = :role and s.active_digest = :digest
            where t.opened_at >= :since""", nativeQuery = true)
    long countFromDevicesRunning(@Param("role") String role, @Param("digest") String digest, @Param("since") Instant since);
}
