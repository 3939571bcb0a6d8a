package org.stbguest.agent.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.agent.AgentConfig;
import org.stbguest.agent.AgentRuntime;
import org.stbguest.agent.ServerTls;
import org.stbguest.agent.StbAgent;
import org.stbguest.agent.disk.Disk;
import org.stbguest.agent.hypervisor.Hypervisor;
import org.stbguest.agent.hypervisor.QemuHypervisor;
import org.stbguest.agent.hypervisor.SimulatedHypervisor;
import org.stbguest.agent.storage.FileSlotStorage;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.trust.SignedKeySet;
import org.stbguest.multicast.MulticastChannels;
import org.stbguest.multicast.MulticastSettings;

/**
 * The agent as a process on a box: {@code java -jar stb-agent.jar --config FILE}. Reads its settings, obtains its
 * credentials once, boots each role's guest (resuming whatever a crash or a power cut interrupted), then checks in and
 * follows the server until it is stopped (SIGTERM stops the guests and exits cleanly). Exit codes: 0 stopped, 2 bad
 * usage or settings, 3 enrolment refused, 1 anything else.
 */
public final class AgentMain {

    private AgentMain() {
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "stb-agent-logback.xml");
        }
        int code = run(args, System.getenv(), System.out, System.err, new CountDownLatch(1));
        if (!SHUTTING_DOWN.get()) {
            System.exit(code); // after a SIGTERM the JVM is exiting already (status 143, which systemd takes as clean)
        }
    }

    private static final AtomicBoolean SHUTTING_DOWN = new AtomicBoolean();

    /** Runs until {@code stop} is counted down or the JVM shuts down; returns the exit code. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, CountDownLatch stop) {
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.print(AgentSettings.help());
                    return 0;
                }
                case "--config", "-c" -> {
                    if (i + 1 >= args.length) {
                        err.println("--config needs a file\n\n" + AgentSettings.help());
                        return 2;
                    }
                    config = Path.of(args[++i]);
                }
                default -> {
                    err.println("unknown argument '" + args[i] + "'\n\n" + AgentSettings.help());
                    return 2;
                }
            }
        }
        Logger log = LoggerFactory.getLogger(AgentMain.class);
        AgentSettings settings;
        try {
            settings = AgentSettings.load(config, env);
            settings.server();
        } catch (IOException | IllegalArgumentException e) {
            err.println("stb-agent: " + e.getMessage());
            return 2;
        }
        AtomicBoolean stopping = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            SHUTTING_DOWN.set(true);
            stopping.set(true);
            stop.countDown();
            try {
                done.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "stb-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return runAgent(settings, log, stopping, stop, err);
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already
            }
        }
    }

    private static int runAgent(AgentSettings s, Logger log, AtomicBoolean stopping, CountDownLatch stop,
                                PrintStream err) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(daemon("stb-agent-timer"));
        ExecutorService workers = Executors.newFixedThreadPool(4, daemon("stb-agent-worker"));
        var loops = MulticastChannels.newEventLoopGroup(1);
        Hypervisor hypervisor = null;
        StbAgent agent = null;
        try {
            Path dataDir = s.path("data-dir").toAbsolutePath();
            createPrivateDirectory(dataDir);
            var http = ServerTls.client(s.path("server-ca"), Duration.ofSeconds(10));
            SignedKeySet anchor = readAnchor(s);
            var credentials = Enrolment.obtain(s, Disk.local(), dataDir, http, stopping::get);
            List<String> roles = s.list("roles");
            var limits = AgentConfig.Limits.DEFAULTS.withCheckInBounds(s.duration("min-check-in"),
                    s.duration("max-check-in"));
            var config = new AgentConfig(credentials.deviceId(), credentials.token(), s.server(),
                    s.require("hardware-model"), roles, anchor, dataDir.resolve("state"),
                    MulticastSettings.onInterface(s.require("multicast-interface")), s.get("control-group"),
                    s.integer("control-port"), s.duration("check-in-interval"), s.duration("stage-timeout"),
                    s.integer("boot-tries"), limits);
            hypervisor = hypervisor(s, dataDir);
            var runtime = new AgentRuntime(loops, scheduler, workers, http, java.time.InstantSource.system());
            agent = StbAgent.create(config, runtime, hypervisor, role -> {
                try {
                    return new FileSlotStorage(dataDir.resolve("slots").resolve(role));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            log.info("event=agent_starting device={} model={} roles={} server={} data_dir={} hypervisor={}",
                    config.deviceId(), config.hardwareModel(), roles, config.server(), dataDir, s.get("hypervisor"));
            agent.bootAndStart();
            log.info("event=agent_started device={} status={}", config.deviceId(), agent.status());
            stop.await();
            log.info("event=agent_stopping device={}", config.deviceId());
            return 0;
        } catch (Enrolment.Refused e) {
            err.println("stb-agent: " + e.getMessage());
            return 3;
        } catch (IllegalArgumentException e) {
            err.println("stb-agent: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return stopping.get() ? 0 : 1;
        } catch (IOException | RuntimeException e) {
            log.error("event=agent_failed error={}", e.toString(), e);
            err.println("stb-agent: " + e);
            return 1;
        } finally {
            if (agent != null) {
                agent.close();
            }
            if (hypervisor instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.warn("event=hypervisor_close_failed error={}", e.toString());
                }
            }
            scheduler.shutdownNow();
            workers.shutdownNow();
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static Hypervisor hypervisor(AgentSettings s, Path dataDir) throws IOException {
        String kind = s.require("hypervisor");
        if (kind.equals("simulated")) {
            return new SimulatedHypervisor(s.duration("simulated.boot-time"));
        }
        if (!kind.equals("qemu")) {
            throw new IllegalArgumentException("hypervisor must be qemu or simulated, got '" + kind + "'");
        }
        Path qemu = Path.of(s.require("qemu.binary"));
        if (!QemuHypervisor.available(qemu)) {
            throw new IllegalArgumentException(qemu + " cannot be run here: install QEMU (qemu-system-x86), set "
                    + "qemu.binary, or choose hypervisor=simulated");
        }
        return new QemuHypervisor(new QemuHypervisor.Settings(qemu, dataDir.resolve("run"), s.require("qemu.memory"),
                s.duration("qemu.ready-deadline"), s.duration("qemu.alive-timeout")));
    }

    private static SignedKeySet readAnchor(AgentSettings s) throws IOException {
        Path file = Path.of(s.require("trust-anchor"));
        try {
            return DeviceApiJson.mapper().readValue(Files.readAllBytes(file), SignedKeySet.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " is not a signed key set: " + e.getMessage());
        }
    }

    private static void createPrivateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
