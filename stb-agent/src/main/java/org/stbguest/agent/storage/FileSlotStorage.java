package org.stbguest.agent.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Manifest;
import org.stbguest.image.StreamingImageVerifier;

/** Slot images as files: {@code <dir>/slot-a.img} and {@code slot-b.img}. */
public final class FileSlotStorage implements SlotStorage {

    private final Path dir;

    public FileSlotStorage(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    /** The file behind a slot (the hypervisor boots from it). */
    public Path file(Slot slot) {
        return dir.resolve("slot-" + slot.name().toLowerCase(Locale.ROOT) + ".img");
    }

    @Override
    public SlotWriter openForWrite(Slot slot, Manifest manifest) throws IOException {
        FileChannel ch = FileChannel.open(file(slot), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        return new SlotWriter() {
            @Override
            public void writeChunk(int index, byte[] data) throws IOException {
                long position = (long) index * manifest.chunkSize();
                ByteBuffer buf = ByteBuffer.wrap(data);
                while (buf.hasRemaining()) {
                    ch.write(buf, position + buf.position());
                }
            }

            @Override
            public void sync() throws IOException {
                ch.force(true);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    @Override
    public void verify(Slot slot, Manifest manifest) throws IOException {
        var verifier = new StreamingImageVerifier(manifest, (i, data, len) -> { });
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file(slot))) {
            int n;
            while ((n = in.read(buf)) > 0) {
                verifier.update(buf, 0, n);
            }
        }
        verifier.finish();
    }
}
