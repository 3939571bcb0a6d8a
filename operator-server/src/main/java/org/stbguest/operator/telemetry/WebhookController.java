package org.stbguest.operator.telemetry;

import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.stbguest.operator.security.IntegrationPrincipal;

/**
 * The call-center webhook, authenticated by an integration token ({@code Authorization: Bearer stbi_...}): one ticket
 * as JSON, or many as a CSV file.
 */
@RestController
class WebhookController {

    private final TelemetryService telemetry;

    WebhookController(TelemetryService telemetry) {
        this.telemetry = telemetry;
    }

    /** 201 for a new ticket, 200 with the first ticket's id for a repeat of its external id. */
    @PostMapping(path = "/api/telemetry/tickets", consumes = "application/json")
    ResponseEntity<Map<String, Object>> ticket(@RequestBody TelemetryService.TicketRequest req,
                                               @AuthenticationPrincipal IntegrationPrincipal who) {
        var r = telemetry.recordTicket(req, who.actor());
        return ResponseEntity.status(r.duplicate() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(Map.of("id", r.id(), "duplicate", r.duplicate(), "matched", r.matched()));
    }

    /** Tickets from a CSV file, all or none. */
    @PostMapping(path = "/api/telemetry/tickets", consumes = "text/csv")
    TelemetryService.CsvResult csv(@RequestBody String csv, @AuthenticationPrincipal IntegrationPrincipal who) {
        return telemetry.importCsv(csv, who.actor());
    }

    /** Tickets as a JSON array, all or none (a bad one is named by its index). */
    @PostMapping(path = "/api/telemetry/ticket-batch", consumes = "application/json")
    TelemetryService.CsvResult batch(@RequestBody java.util.List<TelemetryService.TicketRequest> tickets,
                                     @AuthenticationPrincipal IntegrationPrincipal who) {
        return telemetry.importBatch(tickets, who.actor());
    }

    /** How many stored tickets named no known box. */
    @GetMapping("/api/telemetry/unmatched")
    Map<String, Long> unmatched() {
        return Map.of("unmatched", telemetry.unmatchedTickets());
    }
}
