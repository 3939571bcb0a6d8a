package org.stbguest.device.api;

import java.util.List;
import org.stbguest.image.Digest;

/** The state of one guest role on a box: which slot runs and what each slot holds. */
public record RoleStatus(String role, Slot activeSlot, Digest activeDigest, List<SlotStatus> slots) {

    public RoleStatus {
        if (role == null || role.isBlank()) {
            throw new IllegalArgumentException("role is required");
        }
        slots = slots == null ? List.of() : List.copyOf(slots);
    }
}
