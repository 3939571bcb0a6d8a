package org.stbguest.agent.slot;

import java.util.List;
import org.stbguest.device.api.Slot;

/** The persisted form of a {@link SlotPair}: one JSON document per guest role. */
public record BootControlState(String role, Slot active, long securityFloor, List<SlotState> slots) {

    public BootControlState {
        slots = List.copyOf(slots);
        if (slots.size() != 2 || slots.get(0).slot() != Slot.A || slots.get(1).slot() != Slot.B) {
            throw new IllegalArgumentException("boot control state needs slots A and B in that order");
        }
    }
}
