package org.stbguest.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.trust.SignedKeySet;

/**
 * A box: the agent run as its own process ({@code org.stbguest.agent.app.AgentMain}, on this test's class path, with
 * 64 MiB of heap), configured by a properties file in its directory, its output in {@code agent.log} there.
 */
final class AgentProcess implements AutoCloseable {

    final Path dir;
    final Path config;
    final Path log;
    private Process process;

    AgentProcess(Path dir, java.net.URI server, SignedKeySet anchor, List<String> settings) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        Path anchorFile = dir.resolve("anchor.json");
        Files.write(anchorFile, DeviceApiJson.mapper().writeValueAsBytes(anchor));
        List<String> lines = new ArrayList<>(List.of("server=" + server, "data-dir=" + dir.resolve("data"),
                "trust-anchor=" + anchorFile));
        lines.addAll(settings);
        this.config = dir.resolve("agent.properties");
        Files.write(config, lines);
        this.log = dir.resolve("agent.log");
    }

    AgentProcess start() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                "org.stbguest.agent.app.AgentMain", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("STB_AGENT_"));
        process = pb.start();
        return this;
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    String output() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** SIGKILL: the power cut of a process. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, and the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (alive()) {
            stop();
        }
    }
}
