package org.stbguest.operator.rollout;

/**
 * Lifecycle of a rollout. DRAFT → STAGING (image on the air, every target stages it) → ACTIVATING (wave after wave
 * switches to it) → COMPLETED (the last wave succeeded) → FINALIZED (boxes raise their security floor: no way back
 * below it); any of STAGING, ACTIVATING, COMPLETED → ROLLED_BACK (halted by a threshold or ordered: boxes switch back
 * to the previous image) or ABORTED (stopped where it stands, boxes keep what they run). Pausing is a flag, not a
 * state: a paused rollout keeps its state and starts no wave.
 */
public enum RolloutState {
    DRAFT, STAGING, ACTIVATING, COMPLETED, ROLLED_BACK, FINALIZED, ABORTED;

    /** States in which the rollout can still be rolled back, and the guard watches. */
    public boolean live() {
        return this == STAGING || this == ACTIVATING || this == COMPLETED;
    }
}
