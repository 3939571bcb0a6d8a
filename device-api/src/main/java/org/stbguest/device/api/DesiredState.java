package org.stbguest.device.api;

import java.util.List;

/** The server's answer to a check-in: what each role should hold and run, and when to check in next. */
public record DesiredState(List<RoleDirective> roles, long checkInIntervalMillis) {

    public DesiredState {
        roles = roles == null ? List.of() : List.copyOf(roles);
        if (checkInIntervalMillis < 0) {
            throw new IllegalArgumentException("check-in interval must be >= 0");
        }
    }
}
