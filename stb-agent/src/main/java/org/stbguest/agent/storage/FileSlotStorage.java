package org.stbguest.agent.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Locale;
import org.stbguest.agent.disk.Disk;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Manifest;
import org.stbguest.image.StreamingImageVerifier;

/** Slot images as files: {@code <dir>/slot-a.img} and {@code slot-b.img}, written through a {@link Disk}. */
public final class FileSlotStorage implements SlotStorage {

    private final Disk disk;
    private final Path dir;

    public FileSlotStorage(Path dir) throws IOException {
        this(Disk.local(), dir);
    }

    public FileSlotStorage(Disk disk, Path dir) throws IOException {
        this.disk = disk;
        this.dir = dir;
        disk.createDirectories(dir);
    }

    /** The file behind a slot (the hypervisor boots from it). */
    public Path file(Slot slot) {
        return dir.resolve("slot-" + slot.name().toLowerCase(Locale.ROOT) + ".img");
    }

    @Override
    public SlotWriter openForWrite(Slot slot, Manifest manifest) throws IOException {
        return writer(slot, manifest, true);
    }

    @Override
    public SlotWriter resume(Slot slot, Manifest manifest, BitSet have) throws IOException {
        Path file = file(slot);
        if (disk.exists(file) && disk.size(file) > 0) {
            byte[] buf = new byte[manifest.chunkSize()];
            try (InputStream in = disk.newInputStream(file)) {
                for (int i = 0; i < manifest.chunkDigests().size(); i++) {
                    int len = manifest.chunkLength(i);
                    int n = in.readNBytes(buf, 0, len);
                    if (n < len) {
                        break;
                    }
                    if (manifest.chunkDigests().get(i).equals(org.stbguest.image.Digest.sha256(buf, 0, len))) {
                        have.set(i);
                    }
                }
            }
        }
        return writer(slot, manifest, have.isEmpty());
    }

    private SlotWriter writer(Slot slot, Manifest manifest, boolean truncate) throws IOException {
        boolean[] created = {!disk.exists(file(slot))};
        Disk.WritableFile f = disk.open(file(slot), truncate);
        return new SlotWriter() {
            @Override
            public void writeChunk(int index, byte[] data) throws IOException {
                f.write((long) index * manifest.chunkSize(), data, 0, data.length);
            }

            @Override
            public void sync() throws IOException {
                f.sync();
                if (created[0]) { // a new file's name is durable only once its directory is
                    disk.syncDirectory(dir);
                    created[0] = false;
                }
            }

            @Override
            public void close() throws IOException {
                f.close();
            }
        };
    }

    @Override
    public void verify(Slot slot, Manifest manifest) throws IOException {
        var verifier = new StreamingImageVerifier(manifest, (i, data, len) -> { });
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = disk.newInputStream(file(slot))) {
            int n;
            while ((n = in.read(buf)) > 0) {
                verifier.update(buf, 0, n);
            }
        }
        verifier.finish();
    }
}
