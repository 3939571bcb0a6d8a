package org.stbguest.device.api;

import java.util.List;

/** What a box sends on check-in: the state of each of its guest roles. */
public record CheckIn(List<RoleStatus> roles) {

    public CheckIn {
        roles = roles == null ? List.of() : List.copyOf(roles);
    }
}
