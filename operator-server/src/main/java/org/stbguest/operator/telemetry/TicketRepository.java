package org.stbguest.operator.telemetry;

import java.time.Instant;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface TicketRepository extends JpaRepository<Ticket, Long> {

    java.util.Optional<Ticket> findByExternalId(String externalId);


}
