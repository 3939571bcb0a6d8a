package org.stbguest.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.stbguest.image.trust.Statement;
import org.stbguest.operator.DomainException;
import org.stbguest.operator.events.RolloutEvent;

/** The rollout aggregate's state machine, transition by transition, without a database. */
class RolloutEntityTest {

    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final String IMAGE = "ab".repeat(32);
    private static final String PREVIOUS = "cd".repeat(32);

    private final WavePlan plan = WavePlan.shares(Duration.ofHours(1), 0.1, 0.5, 1.0);

    private RolloutEntity rollout(WavePlan p) {
        RolloutEntity r = new RolloutEntity("entertainment", 2, 1L, 10, p, "ops", T0);
        r.assignIdForTest(7);
        return r;
    }

    private static RolloutEntity.CohortSize cohort(int wave) {
        long[] boxes = {10, 50, 100};
        return new RolloutEntity.CohortSize(wave == 2 ? Statement.Cohort.ALL : (wave + 1) * 1000L, boxes[wave]);
    }

    private static RolloutEntity.Progress progress(long staged, long running, long failures) {
        return new RolloutEntity.Progress(100, staged, running, failures);
    }

    @Test
    void aRolloutStagesEverywhereThenActivatesWaveByWaveAfterSoakAndSuccess() {
        RolloutEntity r = rollout(plan);
        r.start("ops", T0);
        assertThat(r.state()).isEqualTo(RolloutState.STAGING);
        r.tick(progress(90, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plusSeconds(60));
        assertThat(r.state()).as("94 of 100 staged is below 95%").isEqualTo(RolloutState.STAGING);
        r.tick(progress(96, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plusSeconds(120));
        assertThat(r.state()).isEqualTo(RolloutState.ACTIVATING);
        assertThat(r.currentWave()).isZero();
        assertThat(r.waveBoxes()).isEqualTo(10);

        // wave 1 succeeded at once, but its soak is an hour
        r.tick(progress(100, 10, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plusSeconds(600));
        assertThat(r.currentWave()).isZero();
        r.tick(progress(100, 9, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plus(Duration.ofMinutes(62)));
        assertThat(r.currentWave()).as("9 of 10 is below 95%").isZero();
        r.tick(progress(100, 10, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plus(Duration.ofMinutes(63)));
        assertThat(r.currentWave()).isEqualTo(1);
        r.tick(progress(100, 50, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plus(Duration.ofMinutes(124)));
        assertThat(r.currentWave()).isEqualTo(2);
        r.tick(progress(100, 100, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plus(Duration.ofMinutes(185)));
        assertThat(r.state()).isEqualTo(RolloutState.COMPLETED);

        List<Object> events = r.pendingEvents();
        assertThat(events).hasSize(5);
        assertThat(events.get(0)).isInstanceOf(RolloutEvent.RolloutStarted.class);
        assertThat(events.subList(1, 4)).allMatch(e -> e instanceof RolloutEvent.WaveStarted);
        var first = (RolloutEvent.WaveStarted) events.get(1);
        assertThat(first.cohortSeed()).isEqualTo(7);
        assertThat(first.cohortBound()).isEqualTo(1000);
        assertThat(first.imageDigest()).isEqualTo(IMAGE);
        assertThat(events.get(4)).isInstanceOf(RolloutEvent.RolloutCompleted.class);
    }

    @Test
    void failuresOverTheWavesThresholdHaltAndRollBack() {
        RolloutEntity r = rollout(plan);
        r.start("ops", T0);
        r.tick(progress(100, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0);
        // wave 1 has 10 boxes: 5% of them is 0.5, but at least 3 failures are needed
        r.tick(progress(100, 0, 2), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plusSeconds(60));
        assertThat(r.state()).isEqualTo(RolloutState.ACTIVATING);
        r.tick(progress(100, 0, 3), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plusSeconds(120));
        assertThat(r.state()).isEqualTo(RolloutState.ROLLED_BACK);
        assertThat(r.endReason()).contains("3 of the 10 boxes of wave 1");
        assertThat(r.pendingEvents()).last().isInstanceOfSatisfying(RolloutEvent.RollbackOrdered.class,
                e -> assertThat(e.previousDigest()).isEqualTo(PREVIOUS));
        assertThat(r.pendingEvents()).anyMatch(e -> e instanceof RolloutEvent.RolloutHalted);
    }

    @Test
    void aHaltWithoutAPreviousImageAborts() {
        RolloutEntity r = new RolloutEntity("entertainment", 2, null, 10, plan, "ops", T0);
        r.assignIdForTest(8);
        r.start("ops", T0);
        r.halt("guard", null, "guard", T0);
        assertThat(r.state()).isEqualTo(RolloutState.ABORTED);
        assertThat(r.pendingEvents()).last().isInstanceOf(RolloutEvent.RolloutAborted.class);
    }

    @Test
    void aPausedRolloutStartsNoWaveUntilResumed() {
        RolloutEntity r = rollout(plan);
        r.start("ops", T0);
        r.pause(true, "ops", T0);
        r.tick(progress(100, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0);
        assertThat(r.state()).isEqualTo(RolloutState.STAGING);
        assertThatThrownBy(() -> r.pause(true, "ops", T0)).isInstanceOf(DomainException.class);
        r.pause(false, "ops", T0);
        r.tick(progress(100, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0);
        assertThat(r.state()).isEqualTo(RolloutState.ACTIVATING);
    }

    @Test
    void anOperatorAdvancesByHandPastSoakAndSuccess() {
        RolloutEntity r = rollout(plan);
        r.start("ops", T0);
        r.advanceByHand(RolloutEntityTest::cohort, IMAGE, "ops", T0);
        r.advanceByHand(RolloutEntityTest::cohort, IMAGE, "ops", T0);
        assertThat(r.currentWave()).isEqualTo(1);
        r.advanceByHand(RolloutEntityTest::cohort, IMAGE, "ops", T0);
        r.advanceByHand(RolloutEntityTest::cohort, IMAGE, "ops", T0);
        assertThat(r.state()).isEqualTo(RolloutState.COMPLETED);
        assertThatThrownBy(() -> r.advanceByHand(RolloutEntityTest::cohort, IMAGE, "ops", T0))
                .isInstanceOf(DomainException.class).hasMessageContaining("cannot advance");
    }

    @Test
    void illegalTransitionsAreRefused() {
        RolloutEntity draft = rollout(plan);
        assertThatThrownBy(() -> draft.rollBack("x", PREVIOUS, "ops", T0)).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> draft.finalizeRollout(1, "ops", T0)).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> draft.abort("x", "ops", T0)).isInstanceOf(DomainException.class);
        draft.start("ops", T0);
        assertThatThrownBy(() -> draft.start("ops", T0)).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> draft.finalizeRollout(1, "ops", T0)).as("staging cannot be final")
                .isInstanceOf(DomainException.class);
        draft.rollBack("ordered", PREVIOUS, "ops", T0);
        assertThatThrownBy(() -> draft.rollBack("again", PREVIOUS, "ops", T0))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code())
                        .isEqualTo("illegal-rollout-transition"));
        assertThatThrownBy(() -> draft.pause(true, "ops", T0)).isInstanceOf(DomainException.class);
        RolloutEntity noPrevious = new RolloutEntity("entertainment", 2, null, 10, plan, "ops", T0);
        noPrevious.assignIdForTest(9);
        noPrevious.start("ops", T0);
        assertThatThrownBy(() -> noPrevious.rollBack("x", null, "ops", T0))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo("no-previous-image"));
    }

    @Test
    void wavePlansMustGrowAndBeWellFormed() {
        assertThatThrownBy(() -> WavePlan.shares(Duration.ZERO, 0.5, 0.1)).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> new WavePlan(List.of())).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> new WavePlan.Wave(0.1, 5, null, null, null, null)).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> new WavePlan.Wave(1.5, null, null, null, null, null)).isInstanceOf(DomainException.class);
        var counts = new WavePlan(List.of(new WavePlan.Wave(null, 50, null, null, null, null),
                new WavePlan.Wave(0.5, null, null, null, null, null)));
        assertThat(counts.wave(0).size(1000)).isEqualTo(50);
        assertThat(counts.wave(1).size(1000)).isEqualTo(500);
        assertThat(WavePlan.shares(Duration.ZERO, 0.01).wave(0).size(150)).as("1% of 150 rounds up").isEqualTo(2);
    }

    // ---- the maintenance window, crash and install thresholds, guard options, JSON of old plans

    @Test
    void aWaveBeginsOnlyInsideTheMaintenanceWindowAndTheLastWaveCompletesOutsideIt() {
        // 02:00 to 05:00 in Paris (UTC+1 in December): 01:00 to 04:00 UTC; T0 is 10:00 UTC
        var window = new WavePlan.MaintenanceWindow("02:00", "05:00", "Europe/Paris");
        RolloutEntity r = rollout(new WavePlan(plan.waves(), window));
        r.start("ops", T0);
        r.tick(progress(100, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plusSeconds(60));
        assertThat(r.state()).as("staged everywhere, but 11:01 in Paris is outside the window")
                .isEqualTo(RolloutState.STAGING);
        Instant night = Instant.parse("2026-12-04T01:30:00Z"); // 02:30 in Paris
        r.tick(progress(100, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, night);
        assertThat(r.state()).isEqualTo(RolloutState.ACTIVATING);
        r.tick(progress(100, 10, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, night.plus(Duration.ofHours(2)));
        assertThat(r.currentWave()).as("04:30 Paris: soaked, inside").isEqualTo(1);
        Instant morning = Instant.parse("2026-12-04T05:00:00Z"); // 06:00 in Paris
        r.tick(progress(100, 50, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, morning);
        assertThat(r.currentWave()).as("06:00 Paris: the next wave waits for the next night").isEqualTo(1);
        Instant nextNight = Instant.parse("2026-12-05T01:05:00Z");
        r.tick(progress(100, 50, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, nextNight);
        assertThat(r.currentWave()).isEqualTo(2);
        r.tick(progress(100, 100, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, nextNight.plus(Duration.ofHours(8)));
        assertThat(r.state()).as("completing activates nothing: no window needed").isEqualTo(RolloutState.COMPLETED);
    }

    @Test
    void aManualAdvanceIgnoresTheWindowAndAHaltIsNeverHeldBackByIt() {
        var window = new WavePlan.MaintenanceWindow("02:00", "03:00", "UTC");
        RolloutEntity r = rollout(new WavePlan(plan.waves(), window));
        r.start("ops", T0);
        r.advanceByHand(RolloutEntityTest::cohort, IMAGE, "ops", T0.plusSeconds(5));
        assertThat(r.state()).isEqualTo(RolloutState.ACTIVATING);
        r.tick(progress(100, 10, 5), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plusSeconds(60));
        assertThat(r.state()).isEqualTo(RolloutState.ROLLED_BACK);
    }

    @Test
    void aWindowAcrossMidnightAndBadWindowsAreUnderstood() {
        var w = new WavePlan.MaintenanceWindow("22:00", "04:00", "UTC");
        assertThat(w.contains(Instant.parse("2026-12-03T23:59:00Z"))).isTrue();
        assertThat(w.contains(Instant.parse("2026-12-03T03:59:00Z"))).isTrue();
        assertThat(w.contains(Instant.parse("2026-12-03T04:00:00Z"))).isFalse();
        assertThat(w.contains(Instant.parse("2026-12-03T12:00:00Z"))).isFalse();
        assertThatThrownBy(() -> new WavePlan.MaintenanceWindow("25:00", "04:00", "UTC"))
                .isInstanceOf(DomainException.class).hasMessageContaining("HH:mm");
        assertThatThrownBy(() -> new WavePlan.MaintenanceWindow("02:00", "04:00", "Mars/Olympus"))
                .isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> new WavePlan.MaintenanceWindow("02:00", "02:00", "UTC"))
                .isInstanceOf(DomainException.class);
    }

    @Test
    void crashesOnTheNewImageHaltAWaveOnceTheyReachTheShareAndTheMinimum() {
        RolloutEntity r = rollout(plan);
        r.start("ops", T0);
        r.tick(progress(100, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plusSeconds(60));
        r.tick(new RolloutEntity.Progress(100, 100, 10, 0, 0, 2), RolloutEntityTest::cohort, PREVIOUS, IMAGE,
                T0.plusSeconds(120));
        assertThat(r.state()).as("two crashing boxes are below the minimum of three").isEqualTo(RolloutState.ACTIVATING);
        r.tick(new RolloutEntity.Progress(100, 100, 10, 0, 0, 3), RolloutEntityTest::cohort, PREVIOUS, IMAGE,
                T0.plusSeconds(180));
        assertThat(r.state()).isEqualTo(RolloutState.ROLLED_BACK);
        assertThat(r.endReason()).contains("3 of the 10 boxes of wave 1 reported guest crashes");
    }

    @Test
    void installFailuresAreWeighedAgainstEveryTargetNotTheFirstWave() {
        RolloutEntity r = rollout(plan);
        r.start("ops", T0);
        r.tick(progress(100, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE, T0.plusSeconds(60));
        // four of 100 targets failed to stage: 4% is below 5%, though it is 40% of the ten boxes of wave 1
        r.tick(new RolloutEntity.Progress(100, 96, 0, 4, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE,
                T0.plusSeconds(120));
        assertThat(r.state()).isEqualTo(RolloutState.ACTIVATING);
        r.tick(new RolloutEntity.Progress(100, 95, 0, 5, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE,
                T0.plusSeconds(180));
        assertThat(r.state()).isEqualTo(RolloutState.ROLLED_BACK);
        assertThat(r.endReason()).contains("5 of the 100 targets failed to install");

        RolloutEntity staging = rollout(plan);
        staging.start("ops", T0);
        staging.tick(new RolloutEntity.Progress(100, 20, 0, 6, 0, 0), RolloutEntityTest::cohort, PREVIOUS, IMAGE,
                T0.plusSeconds(60));
        assertThat(staging.state()).as("a rollout that cannot stage halts before any box activates")
                .isEqualTo(RolloutState.ROLLED_BACK);
    }

    @Test
    void aRolloutKeepsItsFilterAndGuardOptionsAndAPlanStoredBeforeWindowsStillLoads() {
        var filter = new org.stbguest.operator.device.Target.Filter(List.of("lab"), "north", "STB-9");
        RolloutEntity r = new RolloutEntity("entertainment", 2, 1L, 10, plan, filter,
                new GuardOptions(0.0005, 3.0, List.of(GuardOptions.Signal.CRASHES)), "ops", T0);
        assertThat(r.filter()).isEqualTo(filter);
        assertThat(r.guard().signals()).containsExactly(GuardOptions.Signal.CRASHES);
        assertThat(r.guard().alphaPerSignal()).isEqualTo(0.0005);
        assertThat(GuardOptions.DEFAULTS.alphaPerSignal()).as("two signals share alpha").isEqualTo(0.0005);
        assertThat(rollout(plan).filter().isEmpty()).isTrue();
        String old = "{\"waves\":[{\"share\":1.0,\"count\":null,\"minSoak\":\"PT0S\",\"successShare\":0.95,"
                + "\"maxFailureShare\":0.05,\"minFailures\":3}]}";
        WavePlan loaded = org.stbguest.device.api.DeviceApiJson.mapper().readValue(old, WavePlan.class);
        assertThat(loaded.window()).isNull();
        assertThat(loaded.wave(0).maxCrashShare()).isEqualTo(0.05);
        var withWindow = new WavePlan(plan.waves(), new WavePlan.MaintenanceWindow("01:00", "04:00", "Asia/Tokyo"));
        String json = org.stbguest.device.api.DeviceApiJson.mapper().writeValueAsString(withWindow);
        assertThat(org.stbguest.device.api.DeviceApiJson.mapper().readValue(json, WavePlan.class)).isEqualTo(withWindow);
        assertThatThrownBy(() -> new GuardOptions(0.7, null, null)).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> new GuardOptions(null, null, List.of())).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> new org.stbguest.operator.device.Target.Filter(List.of("Bad Tag"), null, null))
                .isInstanceOf(DomainException.class);
    }
}
