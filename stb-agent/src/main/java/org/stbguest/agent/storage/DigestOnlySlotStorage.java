package org.stbguest.agent.storage;

import java.util.BitSet;
import java.util.EnumMap;
import java.util.Map;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.Manifest;

/**
 * For simulated fleets: remembers which verified chunks of which image each slot received, but not the bytes.
 * Chunks reach it only after verification against the signed manifest, so "all chunks present" means "image
 * verified".
 */
public final class DigestOnlySlotStorage implements SlotStorage {

    private record Held(Digest root, BitSet chunks) {
    }

    private final Map<Slot, Held> slots = new EnumMap<>(Slot.class);

    @Override
    public synchronized SlotWriter openForWrite(Slot slot, Manifest manifest) {
        return resume(slot, manifest, new BitSet(), false);
    }

    @Override
    public synchronized SlotWriter resume(Slot slot, Manifest manifest, BitSet have) {
        return resume(slot, manifest, have, true);
    }

    private SlotWriter resume(Slot slot, Manifest manifest, BitSet have, boolean keep) {
        Held old = slots.get(slot);
        Held held = keep && old != null && old.root().equals(manifest.rootDigest()) ? old
                : new Held(manifest.rootDigest(), new BitSet());
        have.or(held.chunks());
        slots.put(slot, held);
        return new SlotWriter() {
            @Override
            public void writeChunk(int index, byte[] data) {
                synchronized (DigestOnlySlotStorage.this) {
                    held.chunks().set(index);
                }
            }

            @Override
            public void sync() {
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public synchronized void verify(Slot slot, Manifest manifest) {
        Held held = slots.get(slot);
        int chunks = manifest.chunkDigests().size();
        if (held == null || !held.root().equals(manifest.rootDigest()) || held.chunks().cardinality() != chunks) {
            throw new ImageVerificationException(ImageVerificationException.Reason.TRUNCATED,
                    "slot " + slot + " holds " + (held == null ? 0 : held.chunks().cardinality()) + " of " + chunks
                            + " chunks of image " + manifest.rootDigest().shortHex());
        }
    }
}
