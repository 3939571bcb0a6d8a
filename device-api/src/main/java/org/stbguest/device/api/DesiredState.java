package org.stbguest.device.api;

import java.util.List;
import org.stbguest.image.trust.SignedKeySet;
import org.stbguest.image.trust.SignedStatement;

/**
 * The server's answer to a check-in: key sets newer than the box's (to follow rotations), the newest signed director
 * statements that concern it (activate, finalize), what each role should stage, and when to check in next. The box
 * verifies every key set and statement itself; the server's channel is not trusted to vouch for them.
 */
public record DesiredState(List<SignedKeySet> keySets, List<SignedStatement> statements, List<RoleDirective> roles,
                           long checkInIntervalMillis) {

    public DesiredState {
        keySets = keySets == null ? List.of() : List.copyOf(keySets);
        statements = statements == null ? List.of() : List.copyOf(statements);
        roles = roles == null ? List.of() : List.copyOf(roles);
        if (checkInIntervalMillis < 0) {
            throw new IllegalArgumentException("check-in interval must be >= 0");
        }
    }
}
