package org.stbguest.device.api;

import java.util.UUID;

/**
 * The credentials a box receives once at enrolment: its id and its own bearer token. The server keeps only a hash
 * of the token; the token is shown once and never logged.
 */
public record Enrollment(UUID deviceId, String serial, String hardwareModel, String token) {

    @Override
    public String toString() {
        return "Enrollment[deviceId=" + deviceId + ", serial=" + serial + ", model=" + hardwareModel + ", token=***]";
    }
}
