package org.stbguest.agent.slot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.stbguest.agent.disk.Disk;
import org.stbguest.agent.disk.StateFile;
import org.stbguest.device.api.DeviceApiJson;

/**
 * Persists each role's boot-control state in a {@link StateFile} ({@code bootctl-<role>.0} and {@code .1}): a power
 * cut at any instant, or a copy torn or truncated, leaves the old state or the new one, never a mix and never none.
 */
public final class BootControlStore {

    private final Disk disk;
    private final Path dir;
    private final Map<String, StateFile> files = new ConcurrentHashMap<>();

    public BootControlStore(Path dir) throws IOException {
        this(Disk.local(), dir);
    }

    public BootControlStore(Disk disk, Path dir) throws IOException {
        this.disk = disk;
        this.dir = dir;
        disk.createDirectories(dir);
    }

    /** Loads a role's state, if it was ever saved. */
    public Optional<SlotPair> load(String role) throws IOException {
        Optional<byte[]> body = file(role).load();
        if (body.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(SlotPair.restore(DeviceApiJson.mapper().readValue(body.get(), BootControlState.class)));
    }

    /** Saves a role's state durably. */
    public void save(SlotPair pair) throws IOException {
        file(pair.role()).save(DeviceApiJson.mapper().writeValueAsBytes(pair.snapshot()));
    }

    /** The state file of a role (for tests that tear it). */
    public StateFile file(String role) {
        return files.computeIfAbsent(role, r -> new StateFile(disk, dir, "bootctl-" + r));
    }
}
