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
import org.stbguest.distributor.DistributorConfig;
import org.stbguest.distributor.DistributorService;

/**
 * The demo, end to end on real parts: the operator server on its embedded PostgreSQL, the headend distributor on
 * loopback multicast, and a fleet of agents in this JVM. Publish a signed image, stage it over multicast on every
 * box, activate it in waves, let a storm of call-center tickets from the first wave's boxes trip the sequential
 * guard, and watch every box that switched go back to its original slot, on the signed rollback heard on the
 * control group, with no download.
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
                         String serverRolloutState, long serverOnPrevious, int waves, double detectedAfterSeconds) {

        /**
         * The one summary line the demo ends with: boxes that staged, activated (the waves that began before the
         * guard halted the rollout) and went back; the waves begun; seconds from the storm's first call to the halt.
         */
        public String summary() {
            return "demo: agents=" + agents + " staged=" + staged + " activated=" + activated + " rolled_back="
                    + rolledBack + " result=" + (ok ? "ok" : "fail") + " waves=" + waves + " detected_after_s="
                    + (Double.isNaN(detectedAfterSeconds) ? "none" : String.format("%.1f", detectedAfterSeconds));
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

            // the headend presents a service token an admin made for it, not a password
            var distributorConfig = DistributorConfig.withToken(server.uri, admin.createToken("headend-1",
                    "distributor"), MulticastSettings.LOOPBACK, DistributorConfig.DEFAULT_CONTROL_GROUP,
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

                var rollout = admin.createRollout(img2.id(), 1_000_000, List.of(
                        Map.of("share", 0.1, "minSoak", "PT30S"), Map.of("share", 0.5, "minSoak", "PT5S"),
                        Map.of("share", 1.0)));
                admin.startRollout(rollout.id());
                progress.line("[rollout]", "rollout " + rollout.id() + ": v2 to " + agents.size()
                        + " boxes, staged everywhere, activated in waves of 10%, 50%, 100%; the guard weighs "
                        + "complaints from v2's boxes against v1's (alpha 0.001, r1 = 2)");

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

                OperatorApi.Rollout[] view = {admin.rollout(rollout.id())};
                boolean firstWave = waitFor(() -> {
                    observe.run();
                    view[0] = poll(admin, rollout.id(), view[0]);
                    long wave = Math.max(1, view[0].waveBoxes());
                    progress.show("[wave 1]", activated.size(), wave, "booted on trial and committed");
                    return view[0].wave() >= 1 && activated.size() >= wave;
                });
                progress.done();
                Map<UUID, BootControlState> afterActivation = snapshot(agents, ids);
                if (!firstWave) {
                    return fail("the first wave timed out", agents, staged, activated, rolledBack, original, updated,
                            afterActivation, distributor, v2);
                }
                progress.line("[wave 1]", activated.size() + " boxes run v2 (their wave was signed for their place in "
                        + "the rollout's hash order); " + (agents.size() - activated.size()) + " stay on v1");

                List<UUID> onNew = activated.stream().sorted().map(ids::get).toList();
                List<UUID> onOld = new ArrayList<>(ids);
                onOld.removeAll(onNew);
                progress.line("[calls]", "a complaint storm from the boxes on v2 (\"no picture\"), and the usual "
                        + "trickle from the boxes on v1");
                long tStorm = System.nanoTime();
                int[] calls = {0};
                String[] reason = {null};
                double[] detectedAfter = {Double.NaN};
                boolean halted = waitFor(() -> {
                    try {
                        // three calls a poll, one in eight from a box on v1
                        for (int k = 0; k < 3; k++) {
                            int c = calls[0]++;
                            boolean fromOld = c % 8 == 7 && !onOld.isEmpty();
                            callCenter.ticket(fromOld ? onOld.get(c % onOld.size()) : onNew.get(c % onNew.size()),
                                    fromOld ? "remote-control" : "no-picture");
                        }
                        view[0] = admin.rollout(rollout.id());
                        var g = admin.guardLast(rollout.id());
                        if (g != null) {
                            double ratio = Math.max(g.sprt() / g.sprtThreshold(), g.cusum() / g.cusumThreshold());
                            progress.show("[guard]", Math.max(0, Math.round(ratio * 100)), 100, String.format(
                                    "SPRT %.2f / %.2f  CUSUM %.2f / %.2f  complaints %d from v2, %d from v1",
                                    g.sprt(), g.sprtThreshold(), g.cusum(), g.cusumThreshold(), g.eventsNew(),
                                    g.eventsOld()));
                        }
                    } catch (IOException e) {
                        return false; // try again on the next poll
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return true;
                    }
                    if ("ROLLED_BACK".equals(view[0].state())) {
                        reason[0] = view[0].endReason();
                        detectedAfter[0] = (System.nanoTime() - tStorm) / 1e9;
                        return true;
                    }
                    return false;
                });
                progress.done();
                if (!halted || reason[0] == null) {
                    return fail("the guard did not halt the rollout", agents, staged, activated, rolledBack, original,
                            updated, afterActivation, distributor, v2);
                }
                int waves = view[0].wave();
                progress.line("[guard]", String.format("halted in wave %d, %.1f s into the storm: %s", waves,
                        detectedAfter[0], reason[0]));

                long t2 = System.nanoTime();
                boolean back = waitFor(() -> {
                    observe.run();
                    progress.show("[rollback]", rolledBack.size(), activated.size(),
                            "back on v1: the signed rollback heard on the control group, no download");
                    return rolledBack.size() == activated.size();
                });
                progress.done();
                Map<UUID, BootControlState> afterRollback = snapshot(agents, ids);
                if (!back) {
                    return fail("rollback timed out", agents, staged, activated, rolledBack, original, updated,
                            afterActivation, distributor, v2);
                }
                progress.line("[rollback]", "every box back on v1 " + seconds(t2) + " s after the halt; total "
                        + seconds(t0) + " s");
                boolean ok = agents.stream().allMatch(a -> runsCommitted(a.slotPair(ROLE), original));
                var finalView = awaitServerView(admin, rollout.id(), agents.size());
                return new Result(agents.size(), staged.size(), activated.size(), rolledBack.size(), ok,
                        ok ? null : "not every box ended on the original image", original, updated, afterActivation,
                        afterRollback, distributor.bytesSent(), v2.length, finalView.state(), finalView.onPrevious(),
                        waves, detectedAfter[0]);
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
                updated, afterActivation, Map.of(), distributor.bytesSent(), image.length, null, 0, 0, Double.NaN);
    }

    private static OperatorApi.Rollout poll(OperatorApi admin, long id, OperatorApi.Rollout last) {
        try {
            return admin.rollout(id);
        } catch (IOException e) {
            return last;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return last;
        }
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
