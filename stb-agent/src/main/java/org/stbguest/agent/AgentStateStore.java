package org.stbguest.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.stbguest.agent.slot.AtomicFiles;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.Digest;
import org.stbguest.image.trust.BoxTrust;

/**
 * Persists what the box has learnt from signed metadata: its current key set, the sequence numbers seen on each
 * statement stream (replay protection must survive a reboot), and the image each role was last told to run.
 */
final class AgentStateStore {

    /** The persisted form. */
    record AgentState(BoxTrust.State trust, Map<String, Digest> desiredImages) {
        AgentState {
            desiredImages = Map.copyOf(desiredImages);
        }
    }

    private final Path file;

    AgentStateStore(Path dir) {
        this.file = dir.resolve("agent-state.json");
    }

    Optional<AgentState> load() throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(DeviceApiJson.mapper().readValue(Files.readAllBytes(file), AgentState.class));
    }

    void save(AgentState state) throws IOException {
        AtomicFiles.write(file, DeviceApiJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
    }
}
