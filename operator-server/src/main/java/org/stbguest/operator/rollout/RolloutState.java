package org.stbguest.operator.rollout;

/**
 * Lifecycle of a rollout. DRAFT → STAGING (image on the air, boxes stage it) → ACTIVATING (boxes switch to it) →
 * COMPLETED (every target runs it) → FINALIZED (boxes raise their security floor: no way back below it); any of
 * STAGING, ACTIVATING, COMPLETED → ROLLED_BACK (boxes switch back to the previous image).
 */
public enum RolloutState {
    DRAFT, STAGING, ACTIVATING, COMPLETED, ROLLED_BACK, FINALIZED;

    /** States in which the rollout can still be rolled back, and the guard watches. */
    public boolean live() {
        return this == STAGING || this == ACTIVATING || this == COMPLETED;
    }
}
