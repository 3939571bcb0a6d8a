package org.stbguest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.stbguest.agent.disk.PowerCutDisk;
import org.stbguest.agent.hypervisor.BootOutcome;
import org.stbguest.agent.hypervisor.Hypervisor;
import org.stbguest.agent.slot.BootControlStore;
import org.stbguest.agent.slot.SlotPair;
import org.stbguest.agent.slot.SlotState;
import org.stbguest.agent.storage.FileSlotStorage;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;
import org.stbguest.image.SignedManifest;
import org.stbguest.multicast.MulticastSettings;

/**
 * Every crash point of the install, commit, rollback, fall-back and finalize paths: the agent runs on a disk that
 * cuts the power after its N-th durable operation, for every N from 0 to the last, keeping only what was fsynced;
 * then a new agent starts on what is left. Each time the state parses, no slot is recorded as holding an image it
 * does not hold intact, the box boots only verified slots, and the path resumes to its end.
 */
class CrashPointTest {

    private static final Path STATE = Path.of("/box/state");
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    private final BoxLab lab = new BoxLab();
    private final UUID device = UUID.randomUUID();
    private final List<StbAgent> agents = new CopyOnWriteArrayList<>();
    /** Boots of a slot whose bytes did not match its image: must stay empty. */
    private final List<String> unverifiedBoots = new CopyOnWriteArrayList<>();
    private final Set<Digest> failing = ConcurrentHashMap.newKeySet();

    CrashPointTest() throws Exception {
    }

    @AfterEach
    void stop() {
        agents.forEach(StbAgent::close);
        lab.close();
    }

    private AgentConfig config() {
        return new AgentConfig(device, "stbd_test", lab.server.uri(), BoxLab.MODEL, List.of(BoxLab.ROLE), lab.anchor,
                STATE, MulticastSettings.LOOPBACK, null, 0, Duration.ofMillis(50), Duration.ofSeconds(2), 1,
                ServerClientBoundsTest.LIMITS.withCheckInBounds(Duration.ofMillis(20), Duration.ofMillis(200)));
    }

    /** A hypervisor that checks the bytes of every slot it boots against the image's manifest. */
    private Hypervisor hypervisor(PowerCutDisk disk) {
        return request -> {
            byte[] bytes = disk.content(request.imageFile());
            BoxLab.Image image = lab.images.get(request.digest());
            if (bytes == null || image == null || !java.util.Arrays.equals(bytes, image.bytes())) {
                unverifiedBoots.add(request.slot() + " " + request.digest().shortHex());
                return BootOutcome.failed("slot bytes do not match the image");
            }
            return failing.contains(request.digest()) ? BootOutcome.failed("guest reported FAIL") : BootOutcome.ok();
        };
    }

    private StbAgent boot(PowerCutDisk disk) throws Exception {
        StbAgent agent = StbAgent.create(config(), lab.runtime, hypervisor(disk),
                role -> {
                    try {
                        return new FileSlotStorage(disk, STATE.resolve("slots-" + role));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, disk);
        agents.add(agent);
        try {
            agent.bootAndStart();
        } catch (PowerCutDisk.PowerCut e) {
            // the power went while the box was booting
        }
        return agent;
    }

    private static boolean quiet(StbAgent a, Predicate<SlotPair> done) {
        return done.test(a.slotPair(BoxLab.ROLE)) && a.pendingReports().isEmpty();
    }

    /** Runs the agent to {@code done} on a disk that never fails; returns what it leaves on disk. */
    private PowerCutDisk runToEnd(PowerCutDisk start, Predicate<SlotPair> done) throws Exception {
        PowerCutDisk disk = start.survivors();
        StbAgent a = boot(disk);
        await().atMost(PATIENCE).until(() -> quiet(a, done));
        a.close();
        return disk.survivors();
    }

    /** A box running v1 from slot A, committed, as it leaves the factory. */
    private PowerCutDisk factory(BoxLab.Image v1) throws Exception {
        PowerCutDisk disk = new PowerCutDisk();
        StbAgent a = StbAgent.create(config(), lab.runtime, hypervisor(disk),
                role -> {
                    try {
                        return new FileSlotStorage(disk, STATE.resolve("slots-" + role));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, disk);
        a.provisionFactoryImage(BoxLab.ROLE, v1.signed(), v1.bytes());
        a.close();
        return disk.survivors();
    }

    /**
     * Cuts the power after operation N for every N, restarts on what survived each time, and checks the box. Returns
     * how many crash points were checked.
     */
    private int everyCrashPoint(String path, PowerCutDisk start, Predicate<SlotPair> done) throws Exception {
        int points = 0;
        for (long n = 0; ; n++) {
            PowerCutDisk disk = start.survivors(n);
            StbAgent first = boot(disk);
            await().atMost(PATIENCE).until(() -> disk.isCut() || quiet(first, done));
            first.close();
            if (!disk.isCut()) {
                // the path ended before operation n: check nothing comes after it either, then stop
                await().during(Duration.ofMillis(150)).atMost(Duration.ofSeconds(5)).until(() -> !disk.isCut());
                if (!disk.isCut()) {
                    break;
                }
            }
            points++;
            PowerCutDisk left = disk.survivors();
            checkState(path, n, left);
            StbAgent again = boot(left);
            await().atMost(PATIENCE).alias(path + ": resumes after a cut at operation " + n)
                    .until(() -> quiet(again, done));
            again.close();
            assertThat(unverifiedBoots).as(path + ", cut at %d: slots booted with bytes that do not match", n).isEmpty();
        }
        System.out.printf("crash-points: path=%s points=%d%n", path, points);
        return points;
    }

    /** The state parses and every slot recorded as holding an image holds exactly that image's bytes. */
    private void checkState(String path, long n, PowerCutDisk left) throws Exception {
        var store = new BootControlStore(left, STATE);
        SlotPair pair = store.load(BoxLab.ROLE).orElseThrow(() -> new AssertionError(path + ", cut at " + n
                + ": the boot-control state is gone"));
        new AgentStateStore(left, STATE).load(); // parses, or throws
        for (Slot s : Slot.values()) {
            SlotState st = pair.slot(s);
            if (st.holdsImage()) {
                byte[] bytes = left.content(STATE.resolve("slots-" + BoxLab.ROLE).resolve("slot-"
                        + s.name().toLowerCase(java.util.Locale.ROOT) + ".img"));
                assertThat(bytes).as("%s, cut at %d: slot %s is recorded as holding %s", path, n, s,
                        st.digest().shortHex()).isEqualTo(lab.images.get(st.digest()).bytes());
            }
        }
        assertThat(pair.slot(Slot.A).bootable() || pair.slot(Slot.B).bootable())
                .as("%s, cut at %d: a bootable slot is left", path, n).isTrue();
    }

    private static Predicate<SlotPair> runs(BoxLab.Image image) {
        return p -> p.active().isPresent() && image.digest().equals(p.activeDigest().orElse(null))
                && p.slot(p.active().get()).successful();
    }

    @Test
    void installAndCommitSurviveACutAtEveryOperation() throws Exception {
        var v1 = lab.image(1, 1, 3, 1);
        var v2 = lab.image(2, 1, 3, 2);
        PowerCutDisk start = factory(v1);
        lab.want(v2, lab.activate(1, v2));
        int points = everyCrashPoint("install", start, runs(v2));
        assertThat(points).isGreaterThanOrEqualTo(20);
        assertThat(lab.reports).as("the commit reached the server")
                .anyMatch(r -> r.type() == org.stbguest.device.api.ReportType.ACTIVATED && v2.digest().equals(r.digest()));
    }

    @Test
    void aCommitOfAStagedImageSurvivesACutAtEveryOperation() throws Exception {
        var v1 = lab.image(1, 1, 3, 1);
        var v2 = lab.image(2, 1, 3, 2);
        lab.want(v2);
        PowerCutDisk staged = runToEnd(factory(v1), p -> p.slotHolding(v2.digest()).isPresent());
        lab.want(v2, lab.activate(1, v2));
        assertThat(everyCrashPoint("commit", staged, runs(v2))).isGreaterThanOrEqualTo(10);
    }

    @Test
    void aRollbackSurvivesACutAtEveryOperation() throws Exception {
        var v1 = lab.image(1, 1, 3, 1);
        var v2 = lab.image(2, 1, 3, 2);
        lab.want(v2, lab.activate(1, v2));
        PowerCutDisk onV2 = runToEnd(factory(v1), runs(v2));
        lab.want(null, lab.activate(2, v1));
        assertThat(everyCrashPoint("rollback", onV2, runs(v1))).isGreaterThanOrEqualTo(10);
        assertThat(lab.reports).anyMatch(r -> r.type() == org.stbguest.device.api.ReportType.ROLLED_BACK);
    }

    @Test
    void aFailedTrialFallsBackWhereverThePowerIsCut() throws Exception {
        var v1 = lab.image(1, 1, 3, 1);
        var v2 = lab.image(2, 1, 3, 2);
        failing.add(v2.digest());
        lab.want(v2, lab.activate(1, v2));
        Predicate<SlotPair> fellBack = p -> runs(v1).test(p) && p.slotHolding(v2.digest())
                .map(s -> p.slot(s).failure() != null).orElse(false);
        assertThat(everyCrashPoint("fall-back", factory(v1), fellBack)).isGreaterThanOrEqualTo(20);
    }

    @Test
    void aBoxWhoseTrialsWereAllCutShortTriesTheWantedImageAgain() throws Exception {
        var v1 = lab.image(1, 1, 3, 1);
        PowerCutDisk disk = factory(v1);
        // as power cuts during trial boots leave it: slot A on trial with its tries spent, no guest ever failed, and
        // nothing else to boot (the box's first install never came up long enough to commit)
        var store = new BootControlStore(disk, STATE);
        SlotPair pair = store.load(BoxLab.ROLE).orElseThrow();
        pair.setActiveForTrial(Slot.A, 1);
        assertThat(pair.selectBootSlot()).contains(Slot.A); // the boot the power cut ended: its one try spent
        store.save(pair);
        assertThat(pair.slot(Slot.A).bootable() || pair.slot(Slot.B).bootable()).isFalse();
        assertThat(pair.slot(Slot.A).failure()).isNull();

        lab.want(null, lab.activate(1, v1)); // the server still wants what the box holds
        PowerCutDisk left = disk.survivors();
        StbAgent a = boot(left);
        await().atMost(PATIENCE).alias("the stranded image is tried again and committed").until(() -> quiet(a, runs(v1)));
        assertThat(lab.reports).anyMatch(r -> r.type() == org.stbguest.device.api.ReportType.ACTIVATED
                && v1.digest().equals(r.digest()));
        assertThat(unverifiedBoots).isEmpty();
    }

    @Test
    void aFinalizeSurvivesACutAtEveryOperation() throws Exception {
        var v1 = lab.image(1, 1, 3, 1);
        var v2 = lab.image(2, 2, 3, 2);
        lab.want(v2, lab.activate(1, v2));
        PowerCutDisk onV2 = runToEnd(factory(v1), runs(v2));
        lab.want(null, lab.finalizeAt(2, 2));
        assertThat(everyCrashPoint("finalize", onV2, p -> runs(v2).test(p) && p.securityFloor() == 2))
                .isGreaterThanOrEqualTo(3);
    }
}
