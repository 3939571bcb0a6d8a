package org.stbguest.device.api;

import org.stbguest.image.Digest;

/** One event reported by a box about one guest role. {@code detail} is a short human-readable reason, if any. */
public record DeviceReport(ReportType type, String role, Digest digest, Slot slot, String detail) {

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
}
