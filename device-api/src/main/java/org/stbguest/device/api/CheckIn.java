package org.stbguest.device.api;

import java.util.List;
import java.util.Map;

/**
 * What a box sends on check-in: the version of the key set it trusts (absent means "send me the whole chain"), the
 * state of each of its guest roles, and the last director statement it accepted on each activate and finalize stream
 * (absent means "send me the newest of each"). The server leaves out of its answer what the box says it has: key
 * sets up to its version, statements up to its sequence numbers, and the manifest of an image a slot already holds.
 *
 * @param statements sequence number of the last statement accepted, by stream ({@code ACTIVATE:role:entertainment})
 */
public record CheckIn(Long keySetVersion, List<RoleStatus> roles, Map<String, Long> statements) {

    /** The most streams a check-in may name. */
    public static final int MAX_STREAMS = 64;

    public CheckIn {
        keySetVersion = keySetVersion == null ? 0L : keySetVersion;
        roles = roles == null ? List.of() : List.copyOf(roles);
        statements = statements == null ? Map.of() : Map.copyOf(statements);
    }

    /** A check-in that names no statements: the server sends the newest of each stream. */
    public CheckIn(Long keySetVersion, List<RoleStatus> roles) {
        this(keySetVersion, roles, null);
    }
}
