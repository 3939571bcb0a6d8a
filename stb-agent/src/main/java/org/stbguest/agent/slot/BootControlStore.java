package org.stbguest.agent.slot;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.stbguest.device.api.DeviceApiJson;

/**
 * Persists boot-control state atomically: write a temp file, fsync it, rename it over the old one, fsync the
 * directory. A power cut at any instant leaves either the old state or the new one on disk, never a mix.
 */
public final class BootControlStore {

    private final Path dir;

    public BootControlStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    /** Loads a role's state, if it was ever saved. Leftover temp files from an interrupted save are ignored. */
    public Optional<SlotPair> load(String role) throws IOException {
        Path file = file(role);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        BootControlState state = DeviceApiJson.mapper().readValue(Files.readAllBytes(file), BootControlState.class);
        return Optional.of(SlotPair.restore(state));
    }

    /** Saves a role's state atomically and durably. */
    public void save(SlotPair pair) throws IOException {
        byte[] json = DeviceApiJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(pair.snapshot());
        Path target = file(pair.role());
        Path temp = dir.resolve(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(json));
            ch.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory();
    }

    Path file(String role) {
        return dir.resolve("bootctl-" + role + ".json");
    }

    private void fsyncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems refuse to open a directory for fsync; the rename is still atomic there
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                return;
            }
            throw e;
        }
    }
}
