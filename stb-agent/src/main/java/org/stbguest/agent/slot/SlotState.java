package org.stbguest.agent.slot;

import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;

/**
 * Boot-control state of one slot, modelled on Android's: what it holds (null digest: empty or being written, never
 * bootable), its priority (higher boots first, 0 never), boot tries left, and whether it has booted successfully.
 * A slot is bootable when it holds an image, has a priority, and is either successful or has tries left. A slot whose
 * trial boot failed keeps the reason ({@code failure}) until another image is written into it: it is not tried again,
 * not even after a restart.
 */
public record SlotState(Slot slot, Digest digest, long version, long securityVersion, int priority,
                        int triesRemaining, boolean successful, String failure) {

    public SlotState(Slot slot, Digest digest, long version, long securityVersion, int priority, int triesRemaining,
                     boolean successful) {
        this(slot, digest, version, securityVersion, priority, triesRemaining, successful, null);
    }

    public SlotState {
        if (slot == null) {
            throw new IllegalArgumentException("slot is required");
        }
        if (priority < 0 || triesRemaining < 0) {
            throw new IllegalArgumentException("priority and tries must be >= 0");
        }
        if (digest == null && (priority != 0 || successful || triesRemaining != 0)) {
            throw new IllegalArgumentException("an empty slot cannot be bootable");
        }
    }

    /** An empty, unbootable slot. */
    public static SlotState empty(Slot slot) {
        return new SlotState(slot, null, 0, 0, 0, 0, false);
    }

    /** Whether the slot holds a verified image. */
    public boolean holdsImage() {
        return digest != null;
    }

    /** Whether the boot selector may pick this slot. */
    public boolean bootable() {
        return digest != null && priority > 0 && (successful || triesRemaining > 0);
    }
}
