package org.stbguest.operator.telemetry;

import java.security.Principal;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The call-center webhook. */
@RestController
class TicketController {

    private final TelemetryService telemetry;

    TicketController(TelemetryService telemetry) {
        this.telemetry = telemetry;
    }

    @PostMapping("/api/tickets")
    @ResponseStatus(HttpStatus.CREATED)
    Map<String, Long> create(@RequestBody TelemetryService.TicketRequest req, Principal who) {
        return Map.of("id", telemetry.recordTicket(req, who.getName()));
    }
}
