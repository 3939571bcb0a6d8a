package org.stbguest.agent.slot;

import java.util.List;
import org.stbguest.device.api.Slot;

/**
 * The persisted form of a {@link SlotPair}: one JSON document per guest role.
 *
 * @param securityFloor the floor in force: nothing below it is staged or booted
 * @param pendingFloor  the floor the newest finalize statement asked for, in force once a committed slot at or above
 *                      it runs (null in state written before pending floors existed)
 * @param staging       the image being written into the inactive slot, if any: after a restart the chunks already
 *                      there are checked and kept instead of fetched again
 */
public record BootControlState(String role, Slot active, long securityFloor, List<SlotState> slots, Long pendingFloor,
                               org.stbguest.image.Digest staging) {

    public BootControlState(String role, Slot active, long securityFloor, List<SlotState> slots, Long pendingFloor) {
        this(role, active, securityFloor, slots, pendingFloor, null);
    }

    public BootControlState {
        if (pendingFloor == null) {
            pendingFloor = securityFloor;
        }
        slots = List.copyOf(slots);
        if (slots.size() != 2 || slots.get(0).slot() != Slot.A || slots.get(1).slot() != Slot.B) {
            throw new IllegalArgumentException("boot control state needs slots A and B in that order");
        }
    }
}
