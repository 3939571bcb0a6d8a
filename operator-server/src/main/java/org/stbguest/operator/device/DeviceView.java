package org.stbguest.operator.device;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A device as other features and the API see it: identity and, per role, the running image's digest. */
public record DeviceView(UUID id, String serial, String hardwareModel, Instant enrolledAt, Instant lastCheckIn,
                         Map<String, String> activeDigestByRole) {
}
