package org.stbguest.device.api;

import java.util.UUID;
import org.stbguest.image.Digest;

/**
 * One event reported by a box about one guest role. {@code detail} is a short human-readable reason, if any.
 * {@code id} is chosen by the box when the event happens and kept with the report until the server acknowledged it:
 * the server stores a report once per device and id, so a box that sends its outbox again after a lost answer (the
 * server stored the batch, then crashed or the connection dropped before the 202) is not counted twice. A report
 * without an id (older agents) is stored every time it arrives.
 */
public record DeviceReport(ReportType type, String role, Digest digest, Slot slot, String detail, UUID id) {

    public DeviceReport {
        if (type == null) {
            throw new IllegalArgumentException("report type is required");
        }
        if (role == null || role.isBlank()) {
            throw new IllegalArgumentException("role is required");
        }
        if (detail != null && detail.length() > 1000) {
            detail = detail.substring(0, 1000);
        }
    }

    /** A report without an id yet (the outbox gives it one when it saves it). */
    public DeviceReport(ReportType type, String role, Digest digest, Slot slot, String detail) {
        this(type, role, digest, slot, detail, null);
    }

    /** This report with {@code id}. */
    public DeviceReport withId(UUID id) {
        return new DeviceReport(type, role, digest, slot, detail, id);
    }
}
