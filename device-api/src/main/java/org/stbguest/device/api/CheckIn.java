package org.stbguest.device.api;

import java.util.List;

/**
 * What a box sends on check-in: the version of the key set it trusts (absent means "send me the whole chain") and
 * the state of each of its guest roles.
 */
public record CheckIn(Long keySetVersion, List<RoleStatus> roles) {

    public CheckIn {
        keySetVersion = keySetVersion == null ? 0L : keySetVersion;
        roles = roles == null ? List.of() : List.copyOf(roles);
    }
}
