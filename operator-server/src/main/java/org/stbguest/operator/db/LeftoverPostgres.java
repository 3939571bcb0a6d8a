package org.stbguest.operator.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a PostgreSQL server left running on our data directory by a JVM that was killed. Identifies it by the pid
 * in {@code postmaster.pid} and checks {@code /proc/PID/cmdline} names postgres and this directory before signalling,
 * so a recycled pid is never hit.
 */
final class LeftoverPostgres {

    private static final Logger log = LoggerFactory.getLogger(LeftoverPostgres.class);

    private LeftoverPostgres() {
    }

    static void stopIfRunning(Path dataDir, Duration timeout) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            return;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive() || !isOurPostgres(pid, dataDir)) {
            return;
        }
        log.warn("event=leftover_postgres_stopping pid={} data_dir={}", pid, dataDir);
        handle.get().destroy(); // SIGTERM: smart shutdown; its clients died with the old JVM
        try {
            handle.get().onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("event=leftover_postgres_kill pid={}", pid);
            handle.get().destroyForcibly();
            try {
                handle.get().onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                throw new IOException("leftover PostgreSQL " + pid + " on " + dataDir + " did not stop");
            }
        }
    }

    private static boolean isOurPostgres(long pid, Path dataDir) {
        try {
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
            return cmdline.contains("postgres") && cmdline.contains(dataDir.toString());
        } catch (IOException e) {
            return false;
        }
    }
}
