package org.stbguest.operator.telemetry;

import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.image.Digest;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.device.DeviceService;
import org.stbguest.operator.device.DeviceView;
import org.stbguest.operator.web.ApiException;

/** Takes in what boxes report and what the call center says, and counts it for the guard. */
@Service
public class TelemetryService {

    /** A ticket as the call-center system posts it: a device by id or by serial, a category, when it was opened. */
    public record TicketRequest(UUID deviceId, String serial, String category, Instant openedAt, String externalId) {
    }

    private final DeviceEventRepository events;
    private final TicketRepository tickets;
    private final DeviceService devices;
    private final AuditLog audit;
    private final Clock clock;

    TelemetryService(DeviceEventRepository events, TicketRepository tickets, DeviceService devices, AuditLog audit,
                     Clock clock) {
        this.events = events;
        this.tickets = tickets;
        this.devices = devices;
        this.audit = audit;
        this.clock = clock;
    }

    @Transactional
    public void recordReport(UUID deviceId, DeviceReport report) {
        events.save(new DeviceEvent(deviceId, report.type().name(), report.role(),
                report.digest() == null ? null : report.digest().hex(),
                report.slot() == null ? null : report.slot().name(), report.detail(), clock.instant()));
    }

    /** Records a ticket; the device must be known. Returns the ticket id. */
    @Transactional
    public long recordTicket(TicketRequest req, String actor) {
        if (req.category() == null || req.category().isBlank() || req.category().length() > 64) {
            throw new ApiException.BadRequest("invalid-ticket", "a ticket needs a category of 1 to 64 characters");
        }
        DeviceView device;
        if (req.deviceId() != null) {
            device = devices.find(req.deviceId()).orElseThrow(() -> unknownDevice(req.deviceId().toString()));
        } else if (req.serial() != null) {
            device = devices.findBySerial(req.serial()).orElseThrow(() -> unknownDevice(req.serial()));
        } else {
            throw new ApiException.BadRequest("invalid-ticket", "a ticket must name a device by deviceId or serial");
        }
        Instant now = clock.instant();
        Instant opened = req.openedAt() == null ? now : req.openedAt();
        long id = tickets.save(new Ticket(device.id(), req.category(), req.externalId(), opened, now)).id();
        audit.record(actor, "ticket.create", "device/" + device.id(), "category=" + req.category());
        return id;
    }

    /** Tickets opened since {@code since} by boxes running {@code image} for {@code role}. */
    @Transactional(readOnly = true)
    public long complaintsFromDevicesRunning(String role, Digest image, Instant since) {
        return tickets.countFromDevicesRunning(role, image.hex(), since);
    }

    private static ApiException unknownDevice(String which) {
        return new ApiException.NotFound("device-not-found", "no device " + which);
    }
}
