package org.stbguest.device.api;

import org.stbguest.image.Digest;

/**
 * What one slot holds as the box reports it: a verified image (digest and versions) or nothing ({@code digest} null,
 * for an empty slot or one being written).
 */
public record SlotStatus(Slot slot, Digest digest, long version, long securityVersion, boolean successful) {

    public SlotStatus {
        if (slot == null) {
            throw new IllegalArgumentException("slot is required");
        }
    }
}
