package org.stbguest.operator.telemetry;

import java.security.Principal;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** The call-center webhook. */
@RestController
class TicketController {

    private final TelemetryService telemetry;

    TicketController(TelemetryService telemetry) {
        this.telemetry = telemetry;
    }

    /** 201 with the new ticket's id; 200 with the first post's id when the external id was seen before. */
    @PostMapping("/api/tickets")
    org.springframework.http.ResponseEntity<Map<String, Object>> create(@RequestBody TelemetryService.TicketRequest req,
                                                                       Principal who) {
        var result = telemetry.recordTicket(req, who.getName());
        return org.springframework.http.ResponseEntity.status(result.duplicate() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(Map.of("id", result.id(), "duplicate", result.duplicate(), "matched", result.matched()));
    }
}
