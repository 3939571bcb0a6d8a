package org.stbguest.agent.storage;

import java.io.IOException;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Manifest;

/**
 * Where a role's slot images live. Two backends: real files for a real box ({@link FileSlotStorage}) and a
 * digest-only record for simulated fleets ({@link DigestOnlySlotStorage}), so a hundred thousand simulated boxes
 * don't need a hundred thousand copies of an image.
 */
public interface SlotStorage {

    /** Opens {@code slot} for writing the image {@code manifest} describes, discarding what it held. */
    SlotWriter openForWrite(Slot slot, Manifest manifest) throws IOException;

    /**
     * Opens {@code slot} to go on writing the image {@code manifest} describes after an interruption (a power cut, a
     * restart, a server that went away): the chunks it already holds that match the manifest are set in {@code have}
     * and kept, so nothing verified is fetched twice. Without any, the slot starts empty.
     */
    default SlotWriter resume(Slot slot, Manifest manifest, java.util.BitSet have) throws IOException {
        return openForWrite(slot, manifest);
    }

    /**
     * Checks that {@code slot} holds exactly the image {@code manifest} describes, reading it back where the backend
     * holds bytes.
     *
     * @throws org.stbguest.image.ImageVerificationException when it does not
     */
    void verify(Slot slot, Manifest manifest) throws IOException;

    /** Writes one image into a slot, chunk by chunk, in any order. */
    interface SlotWriter extends AutoCloseable {

        /** Writes a chunk that was already verified against the manifest. Thread-safe. */
        void writeChunk(int index, byte[] data) throws IOException;

        /** Makes everything written durable. */
        void sync() throws IOException;

        @Override
        void close() throws IOException;
    }
}
