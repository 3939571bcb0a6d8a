package org.stbguest.simulator;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.stbguest.agent.AgentConfig;
import org.stbguest.agent.AgentRuntime;
import org.stbguest.agent.StbAgent;
import org.stbguest.agent.hypervisor.SimulatedHypervisor;
import org.stbguest.agent.slot.BootControlState;
import org.stbguest.agent.slot.SlotPair;
import org.stbguest.agent.storage.DigestOnlySlotStorage;
import org.stbguest.agent.storage.FileSlotStorage;
import org.stbguest.device.api.Enrollment;
import org.stbguest.image.Digest;
import org.stbguest.image.trust.SignedKeySet;
import org.stbguest.image.SignedManifest;
import org.stbguest.multicast.MulticastChannels;
import org.stbguest.multicast.MulticastSettings;
import org.stbguest.multicast.headend.DistributorConfig;
import org.stbguest.multicast.headend.DistributorService;

/**
 * The demo, end to end on real parts: the operator server on its embedded PostgreSQL, the headend distributor on
 * loopback multicast, and a fleet of agents in this JVM. Publish a signed image, stage it over multicast on every
 * box, activate it, let a burst of call-center tickets trip the guard, and watch every box switch back to its
 * original slot with no download.
 */
public final class DemoScenario {

    static final String ROLE = "entertainment";
    static final String MODEL = "stb-x1";

    /**
     * Options of a demo run.
     *
     * @param fileStorage real slot files (true) or the digest-only storage of large simulated fleets (false)
     */
    public record Options(int agents, int imageMib, boolean fileStorage, Path dataDir, PrintStream out,
                          boolean terminal, Duration phaseTimeout) {
        public Options {
            if (agents < 1 || agents > 5000) {
                throw new IllegalArgumentException("agents must be 1..5000, got " + agents);
            }
            if (imageMib < 1 || imageMib > 1024) {
                throw new IllegalArgumentException("image size must be 1..1024 MiB, got " + imageMib);
            }
        }
    }

    /** What happened, counted from the boxes' own boot-control state. */
    public record Result(int agents, int staged, int activated, int rolledBack, boolean ok, String failure,
                         Digest original, Digest updated, Map<UUID, BootControlState> afterActivation,
                         Map<UUID, BootControlState> afterRollback, long distributorBytes, long imageBytes,
                         String serverRolloutState, long serverOnPrevious) {

        /** The one summary line the demo ends with. */
        public String summary() {
            return "demo: agents=" + agents + " staged=" + staged + " activated=" + activated + " rolled_back="
                    + rolledBack + " result=" + (ok ? "ok" : "fail");
        }
    }

    private final Options options;
    private final Progress progress;

    public DemoScenario(Options options) {
        this.options = options;
        this.progress = new Progress(options.out(), options.terminal());
    }

    /** Runs the scenario; never throws for a failed phase, the result says what failed. */
    public Result run() throws Exception {
        Path data = options.dataDir();
        Files.createDirectories(data);
        long t0 = System.nanoTime();
        progress.line("[server]", "starting operator server on an embedded PostgreSQL (" + data.resolve("server") + ")");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        var eventLoops = MulticastChannels.newEventLoopGroup(2);
        var scheduler = Executors.newScheduledThreadPool(2, daemon("agent-timer"));
        var workers = Executors.newFixedThreadPool(Math.max(4, Math.min(32, options.agents() / 4)), daemon("agent-worker"));
        var runtime = new AgentRuntime(eventLoops, scheduler, workers, http, java.time.InstantSource.system());
        List<StbAgent> agents = new ArrayList<>();
        try (EmbeddedServer server = new EmbeddedServer(data.resolve("server"), data.resolve("demo.log"), Map.of())) {
            progress.line("[server]", "up at " + server.uri + " in " + seconds(t0) + " s (log: " + data.resolve("demo.log") + ")");
            OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            OperatorApi callCenter = admin.as("callcenter", server.callCenterPassword);

            var distributorConfig = new DistributorConfig(server.uri, "distributor", server.distributorPassword,
                    MulticastSettings.LOOPBACK, DistributorConfig.DEFAULT_CONTROL_GROUP,
                    DistributorConfig.DEFAULT_CONTROL_PORT, data.resolve("distributor"), Duration.ofMillis(250), 10_000,
                    options.phaseTimeout());
            try (DistributorService distributor = new DistributorService(distributorConfig, http)) {
                distributor.start();
                progress.line("[headend]", "distributor on interface lo, TTL 1, control group "
                        + DistributorConfig.DEFAULT_CONTROL_GROUP + ":" + DistributorConfig.DEFAULT_CONTROL_PORT);

                byte[] v1 = image(1);
                byte[] v2 = image(2);
                var img1 = admin.upload(v1, ROLE, 1, 1, List.of(MODEL));
                var img2 = admin.upload(v2, ROLE, 2, 1, List.of(MODEL));
                admin.release(img1.id());
                admin.release(img2.id());
                SignedKeySet trust = admin.keySets().get(0);
                Digest original = Digest.parse(img1.rootDigest());
                Digest updated = Digest.parse(img2.rootDigest());
                progress.line("[publish]", ROLE + " v1 " + mib(v1.length) + " root " + original.shortHex()
                        + " and v2 root " + updated.shortHex() + ", signed and released; boxes pinned to key set v"
                        + trust.unverified().version());

                SignedManifest factory = admin.signedManifest(img1.id());
                List<UUID> ids = new ArrayList<>();
                for (int i = 0; i < options.agents(); i++) {
                    Enrollment e = admin.enroll(String.format("SIM-%05d", i), MODEL);
                    StbAgent agent = StbAgent.create(agentConfig(e, server, trust, data.resolve("agents").resolve(e.serial())),
                            runtime, new SimulatedHypervisor(), role -> storage(data.resolve("agents").resolve(e.serial())));
                    agent.provisionFactoryImage(ROLE, factory, v1);
                    agent.start();
                    agents.add(agent);
                    ids.add(e.deviceId());
                }
                progress.line("[fleet]", agents.size() + " boxes enrolled, each with its own token, running v1 in slot A");

                int threshold = Math.max(3, (int) Math.ceil(options.agents() * 0.25));
                var rollout = admin.createRollout(img2.id(), threshold);
                admin.startRollout(rollout.id());
                progress.line("[rollout]", "rollout " + rollout.id() + ": v2 to " + agents.size()
                        + " boxes, rolled back after " + threshold + " complaints");

                Set<Integer> staged = new HashSet<>();
                Set<Integer> activated = new HashSet<>();
                Set<Integer> rolledBack = new HashSet<>();
                Runnable observe = () -> {
                    for (int i = 0; i < agents.size(); i++) {
                        SlotPair p = agents.get(i).slotPair(ROLE);
                        if (p.slotHolding(updated).isPresent()) {
                            staged.add(i);
                        }
                        if (runsCommitted(p, updated)) {
                            activated.add(i);
                        }
                        if (activated.contains(i) && runsCommitted(p, original)) {
                            rolledBack.add(i);
                        }
                    }
                };

                long t1 = System.nanoTime();
                boolean stagedAll = waitFor(() -> {
                    observe.run();
                    progress.show("[stage]", staged.size(), agents.size(), "staged over multicast");
                    return staged.size() == agents.size();
                });
                progress.done();
                if (!stagedAll) {
                    return fail("staging timed out", agents, staged, activated, rolledBack, original, updated, null, distributor, v2);
                }
                progress.line("[stage]", "all boxes hold v2 in slot B after " + seconds(t1) + " s; distributor sent "
                        + String.format("%.2f", (double) distributor.bytesSent() / v2.length) + "x the image so far");

                boolean activatedAll = waitFor(() -> {
                    observe.run();
                    progress.show("[activate]", activated.size(), agents.size(), "booted on trial and committed");
                    return activated.size() == agents.size();
                });
                progress.done();
                Map<UUID, BootControlState> afterActivation = snapshot(agents, ids);
                if (!activatedAll) {
                    return fail("activation timed out", agents, staged, activated, rolledBack, original, updated,
                            afterActivation, distributor, v2);
                }

                int burst = Math.min(agents.size(), threshold + 2);
                for (int i = 0; i < burst; i++) {
                    callCenter.ticket(ids.get(i), "no-picture");
                }
                progress.line("[calls]", burst + " call-center tickets from boxes on v2: \"no picture\"");

                long t2 = System.nanoTime();
                String[] reason = {null};
                boolean back = waitFor(() -> {
                    observe.run();
                    if (reason[0] == null) {
                        try {
                            var r = admin.rollout(rollout.id());
                            if ("ROLLED_BACK".equals(r.state())) {
                                reason[0] = r.endReason();
                                progress.line("[guard]", "rollback ordered: " + reason[0]);
                            }
                        } catch (IOException e) {
                            // try again on the next poll
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    progress.show("[rollback]", rolledBack.size(), agents.size(), "back on v1, no download");
                    return rolledBack.size() == agents.size();
                });
                progress.done();
                Map<UUID, BootControlState> afterRollback = snapshot(agents, ids);
                if (!back) {
                    return fail(reason[0] == null ? "the guard did not order a rollback" : "rollback timed out", agents,
                            staged, activated, rolledBack, original, updated, afterActivation, distributor, v2);
                }
                progress.line("[rollback]", "every box back on v1 " + seconds(t2) + " s after the tickets; total "
                        + seconds(t0) + " s");
                boolean ok = agents.stream().allMatch(a -> runsCommitted(a.slotPair(ROLE), original));
                var finalView = awaitServerView(admin, rollout.id(), agents.size());
                return new Result(agents.size(), staged.size(), activated.size(), rolledBack.size(), ok,
                        ok ? null : "not every box ended on the original image", original, updated, afterActivation,
                        afterRollback, distributor.bytesSent(), v2.length, finalView.state(), finalView.onPrevious());
            }
        } finally {
            agents.forEach(StbAgent::close);
            scheduler.shutdownNow();
            workers.shutdownNow();
            eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private AgentConfig agentConfig(Enrollment e, EmbeddedServer server, SignedKeySet trust, Path dir) {
        return new AgentConfig(e.deviceId(), e.token(), server.uri, MODEL, List.of(ROLE), trust, dir,
                MulticastSettings.LOOPBACK, DistributorConfig.DEFAULT_CONTROL_GROUP, DistributorConfig.DEFAULT_CONTROL_PORT,
                Duration.ofMillis(500), Duration.ofSeconds(30), 2,
                // the demo's server asks for check-ins every 500 ms; a box in the field never goes below 10 s
                AgentConfig.Limits.DEFAULTS.withCheckInBounds(Duration.ofMillis(100), Duration.ofMinutes(5)));
    }

    private org.stbguest.agent.storage.SlotStorage storage(Path dir) {
        if (!options.fileStorage()) {
            return new DigestOnlySlotStorage();
        }
        try {
            return new FileSlotStorage(dir.resolve("slots"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static boolean runsCommitted(SlotPair p, Digest digest) {
        return p.active().map(s -> digest.equals(p.slot(s).digest()) && p.slot(s).successful()).orElse(false);
    }

    private boolean waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + options.phaseTimeout().toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            TimeUnit.MILLISECONDS.sleep(100); // a progress display refreshes at a fixed rate
        }
        return condition.getAsBoolean();
    }

    private Result fail(String why, List<StbAgent> agents, Set<Integer> staged, Set<Integer> activated,
                        Set<Integer> rolledBack, Digest original, Digest updated,
                        Map<UUID, BootControlState> afterActivation, DistributorService distributor, byte[] image) {
        progress.line("[fail]", why);
        return new Result(agents.size(), staged.size(), activated.size(), rolledBack.size(), false, why, original,
                updated, afterActivation, Map.of(), distributor.bytesSent(), image.length, null, 0);
    }

    /** The server's view once every box's last check-in has landed (bounded by the phase timeout). */
    private OperatorApi.Rollout awaitServerView(OperatorApi admin, long id, int agents) throws Exception {
        OperatorApi.Rollout[] last = {admin.rollout(id)};
        waitFor(() -> {
            try {
                last[0] = admin.rollout(id);
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
            return last[0].onPrevious() >= agents;
        });
        return last[0];
    }

    private static Map<UUID, BootControlState> snapshot(List<StbAgent> agents, List<UUID> ids) {
        Map<UUID, BootControlState> out = new LinkedHashMap<>();
        for (int i = 0; i < agents.size(); i++) {
            out.put(ids.get(i), agents.get(i).slotPair(ROLE).snapshot());
        }
        return out;
    }

    private byte[] image(int version) {
        byte[] b = new byte[options.imageMib() * 1024 * 1024];
        new Random(version * 7919L).nextBytes(b);
        return b;
    }

    private static String seconds(long since) {
        return String.format("%.1f", (System.nanoTime() - since) / 1e9);
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
