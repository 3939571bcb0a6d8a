package org.stbguest.agent.slot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.Manifest;

class SlotPairTest {

    private static Manifest image(long version, long securityVersion, int seed) {
        return Manifest.of("entertainment", version, securityVersion, Set.of("stb-x1"), 1, Manifest.MIN_CHUNK_SIZE,
                List.of(Digest.sha256(new byte[] {(byte) seed})));
    }

    private final Manifest v1 = image(1, 1, 1);
    private final Manifest v2 = image(2, 1, 2);

    private SlotPair runningV1() {
        SlotPair p = SlotPair.empty("entertainment");
        p.provisionFactoryImage(v1);
        return p;
    }

    @Test
    void stagesIntoTheInactiveSlotWithoutTouchingTheRunningOne() {
        SlotPair p = runningV1();
        Slot target = p.beginStaging(v2);
        assertThat(target).isEqualTo(Slot.B);
        p.staged(target, v2);
        assertThat(p.slot(Slot.A).digest()).isEqualTo(v1.rootDigest());
        assertThat(p.slot(Slot.B).bootable()).isFalse();
        assertThat(p.activeDigest()).contains(v1.rootDigest());
    }

    @Test
    void activationBootsTheNewSlotOnTrialAndCommitsIt() {
        SlotPair p = runningV1();
        p.staged(p.beginStaging(v2), v2);
        p.setActiveForTrial(Slot.B, 2);
        assertThat(p.selectBootSlot()).contains(Slot.B);
        assertThat(p.slot(Slot.B).triesRemaining()).isEqualTo(1);
        p.markSuccessful(Slot.B);
        assertThat(p.slot(Slot.B).successful()).isTrue();
        assertThat(p.activeDigest()).contains(v2.rootDigest());
        assertThat(p.slot(Slot.A).bootable()).as("old image stays as fallback").isTrue();
    }

    @Test
    void aFailedTrialFallsBackToThePreviousSlot() {
        SlotPair p = runningV1();
        p.staged(p.beginStaging(v2), v2);
        p.setActiveForTrial(Slot.B, 1);
        assertThat(p.selectBootSlot()).contains(Slot.B);
        p.markUnbootable(Slot.B);
        assertThat(p.selectBootSlot()).contains(Slot.A);
        assertThat(p.activeDigest()).contains(v1.rootDigest());
    }

    @Test
    void rollbackSwitchesToTheOtherSlotWithoutStaging() {
        SlotPair p = runningV1();
        p.staged(p.beginStaging(v2), v2);
        p.setActiveForTrial(Slot.B, 1);
        p.markSuccessful(p.selectBootSlot().orElseThrow());

        Slot old = p.slotHolding(v1.rootDigest()).orElseThrow();
        p.setActiveForTrial(old, 1);
        p.markSuccessful(p.selectBootSlot().orElseThrow());

        assertThat(p.active()).contains(Slot.A);
        assertThat(p.activeDigest()).contains(v1.rootDigest());
        assertThat(p.slot(Slot.B).digest()).isEqualTo(v2.rootDigest());
    }

    @Test
    void refusesToStageOverTheRunningSlotOrActivateAnEmptySlot() {
        SlotPair p = runningV1();
        assertThatThrownBy(() -> p.staged(Slot.A, v2)).isInstanceOf(IllegalSlotTransitionException.class)
                .hasMessageContaining("running");
        assertThatThrownBy(() -> p.setActiveForTrial(Slot.B, 1)).isInstanceOf(IllegalSlotTransitionException.class)
                .hasMessageContaining("no verified image");
    }

    @Test
    void refusesAnImageForAnotherRole() {
        SlotPair p = runningV1();
        Manifest security = Manifest.of("security", 1, 1, Set.of("stb-x1"), 0, Manifest.MIN_CHUNK_SIZE, List.of());
        assertThatThrownBy(() -> p.beginStaging(security))
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.WRONG_ROLE);
    }

    @Test
    void stateSurvivesARoundTripThroughTheStore(@TempDir Path dir) throws Exception {
        var store = new BootControlStore(dir);
        SlotPair p = runningV1();
        p.staged(p.beginStaging(v2), v2);
        store.save(p);
        SlotPair back = store.load("entertainment").orElseThrow();
        assertThat(back.snapshot()).isEqualTo(p.snapshot());
    }

    @Test
    void aPowerCutDuringSaveLeavesTheOldStateReadable(@TempDir Path dir) throws Exception {
        var store = new BootControlStore(dir);
        SlotPair p = runningV1();
        store.save(p);
        // a cut after the temp file was written half-way, before the rename
        Files.writeString(dir.resolve("bootctl-entertainment.json.tmp"), "{\"role\":\"entertain");
        SlotPair back = store.load("entertainment").orElseThrow();
        assertThat(back.snapshot()).isEqualTo(p.snapshot());
        // and the next save still works over the leftover
        p.staged(p.beginStaging(v2), v2);
        store.save(p);
        assertThat(store.load("entertainment").orElseThrow().snapshot()).isEqualTo(p.snapshot());
    }

    @Test
    void afterFinalizeARollbackBelowTheFloorIsRefusedAndTheRunningSlotStays() {
        Manifest v3 = image(3, 2, 3); // security version 2
        SlotPair p = runningV1();     // v1 has security version 1
        p.staged(p.beginStaging(v3), v3);
        p.setActiveForTrial(Slot.B, 1);
        p.markSuccessful(p.selectBootSlot().orElseThrow());

        assertThat(p.requestFloor(2)).as("a committed slot at the floor runs: in force at once").isTrue();
        assertThatThrownBy(() -> p.setActiveForTrial(Slot.A, 1))
                .isInstanceOf(IllegalSlotTransitionException.class)
                .hasMessageContaining("below the floor 2");
        assertThat(p.activeDigest()).contains(v3.rootDigest());
        assertThatThrownBy(() -> p.beginStaging(v1))
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.BELOW_SECURITY_FLOOR);
    }

    @Test
    void theFloorInForceNeverGoesDownThoughANewerFinalizeAsksLess() {
        Manifest v3 = image(3, 5, 3);
        SlotPair p = runningV1();
        p.staged(p.beginStaging(v3), v3);
        p.setActiveForTrial(Slot.B, 1);
        p.markSuccessful(p.selectBootSlot().orElseThrow());
        p.requestFloor(5);
        p.requestFloor(2);
        assertThat(p.securityFloor()).isEqualTo(5);
        assertThat(p.pendingFloor()).isEqualTo(2);
    }

    @Test
    void aFloorAboveEveryImageWaitsAndBlocksNothing() {
        // the absurd floor a stolen director key could sign: nothing runs at it, so it never comes into force
        SlotPair p = runningV1();
        assertThat(p.requestFloor(0xFFFFFFFFL)).isFalse();
        assertThat(p.securityFloor()).isZero();
        p.staged(p.beginStaging(v2), v2);
        p.setActiveForTrial(Slot.B, 1);
        assertThat(p.selectBootSlot()).contains(Slot.B);
        p.markSuccessful(Slot.B);
        assertThat(p.securityFloor()).isZero();
        // the next genuine finalize replaces the request
        assertThat(p.requestFloor(1)).isTrue();
        assertThat(p.securityFloor()).isEqualTo(1);
    }

    @Test
    void finalizeBeforeAFailedTrialWaitsAndTheBoxFallsBackToItsCommittedSlot() {
        Manifest v3 = image(3, 2, 3);          // security version 2; v1 has 1
        SlotPair p = runningV1();
        p.staged(p.beginStaging(v3), v3);
        p.setActiveForTrial(Slot.B, 1);
        assertThat(p.selectBootSlot()).contains(Slot.B);
        // finalize to 2 arrives while v3 is on trial: v3 is not committed, so the floor waits
        assertThat(p.requestFloor(2)).isFalse();
        assertThat(p.securityFloor()).isZero();
        p.markUnbootable(Slot.B);               // the trial failed
        assertThat(p.selectBootSlot()).as("the fallback is below the requested floor, but in force is none")
                .contains(Slot.A);
        assertThat(p.securityFloor()).isZero();
        assertThat(p.pendingFloor()).isEqualTo(2);
        // once a committed slot at 2 runs, the floor comes into force by itself
        p.staged(p.beginStaging(v3), v3);
        p.setActiveForTrial(Slot.B, 1);
        p.markSuccessful(p.selectBootSlot().orElseThrow());
        assertThat(p.securityFloor()).isEqualTo(2);
        assertThatThrownBy(() -> p.setActiveForTrial(Slot.A, 1)).isInstanceOf(IllegalSlotTransitionException.class);
    }

    @Test
    void finalizeAfterTheFallbackWaitsForACommittedSlotAtTheFloor() {
        Manifest v3 = image(3, 2, 3);
        SlotPair p = runningV1();
        p.staged(p.beginStaging(v3), v3);
        p.setActiveForTrial(Slot.B, 1);
        assertThat(p.selectBootSlot()).contains(Slot.B);
        p.markUnbootable(Slot.B);
        assertThat(p.selectBootSlot()).contains(Slot.A);
        p.markSuccessful(Slot.A);
        // finalize arrives after the fallback: the box runs v1 (security 1) and keeps running it
        assertThat(p.requestFloor(2)).isFalse();
        assertThat(p.securityFloor()).isZero();
        assertThat(p.selectBootSlot()).contains(Slot.A);
        assertThat(p.activeDigest()).contains(v1.rootDigest());
    }

    @Test
    void theBootSelectorNeverPicksASlotBelowTheFloor() {
        Manifest v3 = image(3, 2, 3);
        SlotPair p = runningV1();
        p.staged(p.beginStaging(v3), v3);
        p.setActiveForTrial(Slot.B, 1);
        p.markSuccessful(p.selectBootSlot().orElseThrow());
        p.requestFloor(2);
        // slot A (security 1) is still marked bootable as a fallback, but it is below the floor now
        assertThat(p.slot(Slot.A).bootable()).isTrue();
        p.markUnbootable(Slot.B);
        assertThat(p.selectBootSlot()).as("nothing at or above the floor: nothing is booted below it").isEmpty();
    }

    @Test
    void statePersistedBeforePendingFloorsLoads(@TempDir Path dir) throws Exception {
        var store = new BootControlStore(dir);
        SlotPair p = runningV1();
        store.save(p);
        String json = new String(store.file("entertainment").load().orElseThrow())
                .replaceAll(",\\s*\"pendingFloor\"\\s*:\\s*\\d+", "");
        assertThat(json).doesNotContain("pendingFloor");
        store.file("entertainment").save(json.getBytes());
        assertThat(store.load("entertainment").orElseThrow().pendingFloor()).isZero();
    }
}
