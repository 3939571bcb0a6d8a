package org.stbguest.agent.hypervisor;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.image.Digest;

/**
 * The real hypervisor backend: each role's guest runs as its own QEMU process under software emulation (TCG; KVM
 * fails on real guests on these hosts, see {@code GUEST-IMAGES.md}), with no network device, its console in a file,
 * and a health channel on its second serial port, wired to a UNIX socket the agent listens on. A trial boot is
 * healthy only when the guest says {@code GUEST <role> <version> READY} for exactly the role and version the signed
 * manifest names, within the deadline; {@code FAIL}, a panic (QEMU exits), silence past the deadline or the wrong
 * guest fail it, with the reason. A committed guest keeps running and must say {@code ALIVE} now and then; if its
 * QEMU exits or it falls silent, the crash listener hears of it.
 *
 * <p>On start, a QEMU left running by an agent that lost power or was killed is stopped: its pid file is read and
 * the process is killed only if {@code /proc/PID/cmdline} shows it is a QEMU started with that very pid file.
 */
public final class QemuHypervisor implements Hypervisor, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QemuHypervisor.class);
    private static final int MAX_LINE = 256;

    /**
     * How guests are run.
     *
     * @param qemu          the QEMU binary
     * @param runDir        where each role's kernel, initrd, pid file and console log live ({@code runDir/<role>})
     * @param memory        guest memory, as QEMU takes it
     * @param readyDeadline how long a trial boot may take to say READY
     * @param aliveTimeout  how long a committed guest may stay silent before it counts as crashed
     */
    public record Settings(Path qemu, Path runDir, String memory, Duration readyDeadline, Duration aliveTimeout) {

        public Settings {
            if (qemu == null || runDir == null || memory == null || readyDeadline == null || aliveTimeout == null) {
                throw new IllegalArgumentException("every QEMU setting is required");
            }
        }

        /** {@code qemu-system-x86_64} from the PATH, 128 MiB, 30 s to READY, 15 s of silence at most. */
        public static Settings defaults(Path runDir) {
            return new Settings(Path.of("qemu-system-x86_64"), runDir, "128M", Duration.ofSeconds(30),
                    Duration.ofSeconds(15));
        }
    }

    private final Settings settings;
    private final Map<String, Guest> running = new ConcurrentHashMap<>();
    private volatile CrashListener crashListener = (role, digest, reason) -> { };
    private final java.util.concurrent.ScheduledExecutorService watchdog;

    public QemuHypervisor(Settings settings) throws IOException {
        this.settings = settings;
        Files.createDirectories(settings.runDir());
        stopLeftovers();
        this.watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qemu-watchdog");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(200, settings.aliveTimeout().toMillis() / 5);
        watchdog.scheduleWithFixedDelay(this::checkAlive, period, period, TimeUnit.MILLISECONDS);
    }

    /** Whether a QEMU binary can be run here. */
    public static boolean available(Path qemu) {
        try {
            Process p = new ProcessBuilder(qemu.toString(), "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void onCrash(CrashListener listener) {
        this.crashListener = listener;
    }

    /** The role's running guest, if any: its image digest. */
    public java.util.Optional<Digest> runningImage(String role) {
        Guest g = running.get(role);
        return g == null || !g.committed ? java.util.Optional.empty() : java.util.Optional.of(g.digest);
    }

    @Override
    public BootOutcome boot(BootRequest request) throws InterruptedException {
        stop(request.role()); // the role's running guest makes way for the one on trial
        if (request.imageFile() == null) {
            return BootOutcome.failed("the QEMU backend boots image files; this slot storage holds none");
        }
        Path dir = settings.runDir().resolve(request.role());
        Guest guest;
        try {
            Files.createDirectories(dir);
            GuestImage image = GuestImage.unpack(request.imageFile(), dir);
            guest = launch(request, image, dir);
        } catch (IOException e) {
            log.warn("event=guest_start_failed role={} image={} error={}", request.role(),
                    request.digest().shortHex(), e.toString());
            return BootOutcome.failed("guest could not start: " + e.getMessage());
        }
        long deadline = System.nanoTime() + settings.readyDeadline().toNanos();
        String expected = "GUEST " + request.role() + " " + request.version() + " READY";
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                guest.stop();
                return BootOutcome.failed("no READY within " + settings.readyDeadline().toSeconds() + " s (hang)");
            }
            String line = guest.lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
            if (line == null && guest.process.isAlive()) {
                continue;
            }
            if (line == null || line == Guest.EOF) {
                // the channel closed or QEMU ended: give it a moment to finish exiting, then say which
                guest.process.waitFor(2, TimeUnit.SECONDS);
                String why = guest.process.isAlive() ? "the health channel closed before READY"
                        : "QEMU exited before READY (code " + guest.process.exitValue()
                        + "): a kernel panic or the guest powered off";
                guest.stop();
                return BootOutcome.failed(why);
            }
            if (line.equals(expected)) {
                guest.committed = true;
                guest.lastAlive = System.nanoTime();
                running.put(request.role(), guest);
                guest.process.onExit().thenRun(() -> exited(guest));
                log.info("event=guest_ready role={} version={} image={} boot_ms={}", request.role(),
                        request.version(), request.digest().shortHex(),
                        (System.nanoTime() - guest.startedAt) / 1_000_000);
                return BootOutcome.ok();
            }
            if (line.endsWith(" FAIL")) {
                guest.stop();
                return BootOutcome.failed("guest reported FAIL: " + line);
            }
            if (line.endsWith(" READY")) {
                guest.stop();
                return BootOutcome.failed("wrong guest: expected '" + expected + "', got '" + line + "'");
            }
            // anything else before READY (an early ALIVE, noise) is ignored
        }
    }

    /** Stops the role's guest, if one runs. */
    public void stop(String role) {
        Guest g = running.remove(role);
        if (g != null) {
            g.stop();
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        for (String role : List.copyOf(running.keySet())) {
            stop(role);
        }
    }

    private Guest launch(BootRequest request, GuestImage image, Path dir) throws IOException {
        // a UNIX socket path is limited to about 107 bytes: it lives in a short temporary folder
        Path socketDir = Files.createTempDirectory("stbq");
        Path socket = socketDir.resolve("h.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Path pidFile = dir.resolve("qemu.pid").toAbsolutePath();
        Files.deleteIfExists(pidFile);
        List<String> cmd = new ArrayList<>(List.of(settings.qemu().toString(), "-accel", "tcg", "-m", settings.memory(),
                "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none", "-nic", "none",
                "-no-reboot", "-pidfile", pidFile.toString(),
                "-kernel", dir.resolve("kernel").toAbsolutePath().toString(),
                "-initrd", dir.resolve("initrd").toAbsolutePath().toString(),
                "-append", image.cmdline(),
                "-serial", "file:" + dir.resolve("console.log").toAbsolutePath(),
                "-chardev", "socket,id=health,path=" + socket,
                "-serial", "chardev:health"));
        Process process;
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("qemu.log").toFile()).start();
        } catch (IOException e) {
            server.close();
            deleteQuietly(socketDir);
            throw e;
        }
        Guest guest = new Guest(request.role(), request.digest(), process, server, socketDir);
        Thread reader = new Thread(() -> guest.read(), "qemu-health-" + request.role());
        reader.setDaemon(true);
        reader.start();
        log.info("event=guest_started role={} image={} pid={}", request.role(), request.digest().shortHex(),
                process.pid());
        return guest;
    }

    private void exited(Guest g) {
        if (g.stopping || running.get(g.role) != g) {
            return;
        }
        running.remove(g.role, g);
        g.stop();
        String reason = "QEMU exited (code " + g.process.exitValue() + "): the guest crashed or powered off";
        log.warn("event=guest_crashed role={} image={} reason=\"{}\"", g.role, g.digest.shortHex(), reason);
        crashListener.crashed(g.role, g.digest, reason);
    }

    private void checkAlive() {
        long now = System.nanoTime();
        for (Guest g : List.copyOf(running.values())) {
            if (now - g.lastAlive > settings.aliveTimeout().toNanos() && running.remove(g.role, g)) {
                g.stop();
                String reason = "no ALIVE for " + settings.aliveTimeout().toSeconds() + " s: the guest hangs";
                log.warn("event=guest_crashed role={} image={} reason=\"{}\"", g.role, g.digest.shortHex(), reason);
                crashListener.crashed(g.role, g.digest, reason);
            }
        }
    }

    /** Stops every QEMU a previous run of the agent left behind, after checking each is what its pid file says. */
    private void stopLeftovers() throws IOException {
        try (var dirs = Files.list(settings.runDir())) {
            for (Path dir : dirs.toList()) {
                Path pidFile = dir.resolve("qemu.pid").toAbsolutePath();
                if (!Files.isRegularFile(pidFile)) {
                    continue;
                }
                String text = Files.readString(pidFile).trim();
                if (text.matches("\\d{1,10}")) {
                    long pid = Long.parseLong(text);
                    if (isOurQemu(pid, pidFile)) {
                        ProcessHandle.of(pid).ifPresent(h -> {
                            log.warn("event=leftover_qemu_stopped pid={} dir={}", pid, dir);
                            h.destroyForcibly();
                            h.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
                        });
                    }
                }
                Files.deleteIfExists(pidFile);
            }
        }
    }

    /** Whether process {@code pid} is a QEMU started with {@code pidFile} (its command line names both). */
    static boolean isOurQemu(long pid, Path pidFile) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            List<String> args = List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
            return !args.isEmpty() && args.get(0).contains("qemu-system")
                    && args.contains("-pidfile") && args.contains(pidFile.toString());
        } catch (IOException e) {
            return false; // gone, or not ours to read
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve("h.sock"));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            log.debug("event=cleanup_failed dir={} error={}", dir, e.toString());
        }
    }

    /** One QEMU process and its health channel. */
    private static final class Guest {
        static final String EOF = new String("<eof>");

        final String role;
        final Digest digest;
        final Process process;
        final ServerSocketChannel server;
        final Path socketDir;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>(1024);
        final long startedAt = System.nanoTime();
        volatile boolean committed;
        volatile boolean stopping;
        volatile long lastAlive;
        volatile SocketChannel channel;

        Guest(String role, Digest digest, Process process, ServerSocketChannel server, Path socketDir) {
            this.role = role;
            this.digest = digest;
            this.process = process;
            this.server = server;
            this.socketDir = socketDir;
        }

        /** Accepts QEMU's connection and reads the health channel's lines until it closes. */
        void read() {
            try (SocketChannel ch = server.accept()) {
                channel = ch;
                ByteBuffer buf = ByteBuffer.allocate(512);
                StringBuilder line = new StringBuilder();
                while (ch.read(buf) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        char c = (char) (buf.get() & 0xff);
                        if (c == '\n') {
                            deliver(line.toString().strip());
                            line.setLength(0);
                        } else if (c != '\r' && line.length() < MAX_LINE) {
                            line.append(c);
                        }
                    }
                    buf.clear();
                }
            } catch (IOException e) {
                // closed by stop(), or QEMU went away
            } finally {
                lines.offer(EOF);
            }
        }

        private void deliver(String line) {
            if (committed) {
                if (line.endsWith(" ALIVE") || line.endsWith(" READY")) {
                    lastAlive = System.nanoTime();
                }
            } else if (!line.isEmpty()) {
                lines.offer(line);
            }
        }

        /** Stops QEMU: politely, then by force after 3 s; closes the channel and removes the socket. */
        void stop() {
            stopping = true;
            process.destroy();
            try {
                if (!process.waitFor(3, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            try {
                server.close();
                SocketChannel ch = channel;
                if (ch != null) {
                    ch.close();
                }
            } catch (IOException e) {
                log.debug("event=health_close_failed role={} error={}", role, e.toString());
            }
            deleteQuietly(socketDir);
        }
    }

    /** For tests: the roles with a committed guest running. */
    public java.util.Set<String> runningRoles() {
        return java.util.Set.copyOf(running.keySet());
    }
}
