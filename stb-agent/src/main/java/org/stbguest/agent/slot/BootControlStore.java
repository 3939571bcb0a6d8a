package org.stbguest.agent.slot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.stbguest.device.api.DeviceApiJson;

/**
 * Persists boot-control state with {@link AtomicFiles}: a power cut at any instant leaves either the old state or the
 * new one on disk, never a mix.
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
        AtomicFiles.write(file(pair.role()),
                DeviceApiJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(pair.snapshot()));
    }

    Path file(String role) {
        return dir.resolve("bootctl-" + role + ".json");
    }
}
