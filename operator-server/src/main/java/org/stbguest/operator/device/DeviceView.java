package org.stbguest.operator.device;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A device as other features and the API see it: identity, the subscriber account it belongs to (if any) and, per
 * role, the running image's digest; its region and tags (what a rollout's filter selects on).
 */
public record DeviceView(UUID id, String serial, String hardwareModel, Instant enrolledAt, Instant lastCheckIn,
                         Map<String, String> activeDigestByRole, String account, String region,
                         java.util.List<String> tags) {
}
