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
 * @param limits       what the box accepts from the network, whatever the server (or a man in the middle) says
 */
public record AgentConfig(UUID deviceId, String token, URI server, String hardwareModel, List<String> roles,
                          SignedKeySet trustAnchor, Path stateDir, MulticastSettings multicast, String controlGroup,
                          int controlPort, Duration defaultCheckInInterval, Duration stageTimeout, int bootTries,
                          Limits limits) {

    /**
     * Bounds on everything unsigned the box acts on, so that no answer can hang, freeze or exhaust it.
     *
     * @param minCheckIn        the shortest check-in interval a server may ask for
     * @param maxCheckIn        the longest (a server saying "next year" cannot freeze the box)
     * @param jitter            each interval is spread by up to this share either way, so a fleet does not march
     * @param maxAnswerBytes    the largest check-in or other metadata answer read; a longer one is cut off and refused
     * @param minBytesPerSecond the slowest download tolerated, measured over {@code rateWindow}
     * @param rateWindow        the window the rate is measured over (a download's first window is its grace)
     * @param requestTimeout    until the answer's headers arrive
     * @param metadataDeadline  the longest a whole check-in or report exchange may take
     */
    public record Limits(Duration minCheckIn, Duration maxCheckIn, double jitter, long maxAnswerBytes,
                         long minBytesPerSecond, Duration rateWindow, Duration requestTimeout,
                         Duration metadataDeadline) {

        /** Defaults for a box in the field. */
        public static final Limits DEFAULTS = new Limits(Duration.ofSeconds(10), Duration.ofHours(24), 0.1,
                16L << 20, 32L << 10, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofMinutes(2));

        public Limits {
            if (minCheckIn == null || maxCheckIn == null || minCheckIn.isNegative() || minCheckIn.isZero()
                    || maxCheckIn.compareTo(minCheckIn) < 0) {
                throw new IllegalArgumentException("check-in bounds must satisfy 0 < min <= max");
            }
            if (!(jitter >= 0 && jitter < 1)) {
                throw new IllegalArgumentException("jitter must be in [0, 1)");
            }
            if (maxAnswerBytes < 1024 || minBytesPerSecond < 1) {
                throw new IllegalArgumentException("answer cap must be >= 1 KiB and minimum rate >= 1 B/s");
            }
            if (rateWindow == null || requestTimeout == null || metadataDeadline == null || rateWindow.isZero()
                    || requestTimeout.isZero() || metadataDeadline.isZero()) {
                throw new IllegalArgumentException("rate window, request timeout and metadata deadline must be > 0");
            }
        }

        /** These limits with other check-in bounds. */
        public Limits withCheckInBounds(Duration min, Duration max) {
            return new Limits(min, max, jitter, maxAnswerBytes, minBytesPerSecond, rateWindow, requestTimeout,
                    metadataDeadline);
        }
    }

    /** A configuration with the {@link Limits#DEFAULTS default limits}. */
    public AgentConfig(UUID deviceId, String token, URI server, String hardwareModel, List<String> roles,
                       SignedKeySet trustAnchor, Path stateDir, MulticastSettings multicast, String controlGroup,
                       int controlPort, Duration defaultCheckInInterval, Duration stageTimeout, int bootTries) {
        this(deviceId, token, server, hardwareModel, roles, trustAnchor, stateDir, multicast, controlGroup, controlPort,
                defaultCheckInInterval, stageTimeout, bootTries, Limits.DEFAULTS);
    }

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
        if (limits == null) {
            limits = Limits.DEFAULTS;
        }
    }

    /** This configuration with other limits. */
    public AgentConfig withLimits(Limits other) {
        return new AgentConfig(deviceId, token, server, hardwareModel, roles, trustAnchor, stateDir, multicast,
                controlGroup, controlPort, defaultCheckInInterval, stageTimeout, bootTries, other);
    }

    @Override
    public String toString() {
        return "AgentConfig[deviceId=" + deviceId + ", model=" + hardwareModel + ", roles=" + roles + ", server=" + server
                + ", token=***]";
    }
}
