package org.stbguest.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.stbguest.agent.disk.Disk;
import org.stbguest.agent.disk.StateFile;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.Digest;
import org.stbguest.image.trust.BoxTrust;

/**
 * Persists what the box has learnt from signed metadata: its current key set, the sequence numbers seen on each
 * statement stream (replay protection must survive a reboot), and the image each role was last told to run. Kept in
 * a {@link StateFile}, so a power cut or a torn copy leaves the old state or the new.
 */
final class AgentStateStore {

    /** The persisted form. */
    record AgentState(BoxTrust.State trust, Map<String, Digest> desiredImages) {
        AgentState {
            desiredImages = Map.copyOf(desiredImages);
        }
    }

    private final StateFile file;

    AgentStateStore(Disk disk, Path dir) {
        this.file = new StateFile(disk, dir, "agent-state");
    }

    Optional<AgentState> load() throws IOException {
        Optional<byte[]> body = file.load();
        if (body.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(DeviceApiJson.mapper().readValue(body.get(), AgentState.class));
    }

    void save(AgentState state) throws IOException {
        file.save(DeviceApiJson.mapper().writeValueAsBytes(state));
    }
}
