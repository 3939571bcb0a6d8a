package org.stbguest.agent;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.stbguest.image.trust.SignedKeySet;
import org.stbguest.multicast.MulticastSettings;

/**
 * One box's configuration: identity and credentials, the server, its hardware model and guest roles, its trust
 * anchor (the key set pinned at manufacturing, from which it follows rotations), where multicast is received, and
 * its timing.
 *
 * @param controlGroup control-group address for announcements, or null to rely on check-ins only
 * @param stageTimeout how long to listen to a transmission before repairing the rest by unicast
 * @param bootTries    trial boots of a new image before falling back
 */
public record AgentConfig(UUID deviceId, String token, URI server, String hardwareModel, List<String> roles,
                          SignedKeySet trustAnchor, Path stateDir, MulticastSettings multicast, String controlGroup,
                          int controlPort, Duration defaultCheckInInterval, Duration stageTimeout, int bootTries) {

    public AgentConfig {
        if (deviceId == null || token == null || token.isBlank() || server == null) {
            throw new IllegalArgumentException("device id, token and server are required");
        }
        if (hardwareModel == null || roles == null || roles.isEmpty()) {
            throw new IllegalArgumentException("hardware model and at least one role are required");
        }
        if (trustAnchor == null) {
            throw new IllegalArgumentException("a pinned key set is required: a box trusts nothing by default");
        }
        if (bootTries < 1) {
            throw new IllegalArgumentException("boot tries must be >= 1");
        }
        roles = List.copyOf(roles);
    }

    @Override
    public String toString() {
        return "AgentConfig[deviceId=" + deviceId + ", model=" + hardwareModel + ", roles=" + roles + ", server=" + server
                + ", token=***]";
    }
}
