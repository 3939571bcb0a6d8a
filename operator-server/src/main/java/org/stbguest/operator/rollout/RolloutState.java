package org.stbguest.operator.rollout;

/**
 * Lifecycle of a rollout. DRAFT → STAGING (image on the air, boxes stage it) → ACTIVATING (boxes switch to it) →
 * COMPLETED (every target runs it); any live state → ROLLED_BACK (boxes switch back to the previous image).
 */
public enum RolloutState {
    DRAFT, STAGING, ACTIVATING, COMPLETED, ROLLED_BACK;

    /** States in which the rollout still drives what boxes do and the guard watches. */
    public boolean live() {
        return this == STAGING || this == ACTIVATING || this == COMPLETED;
    }
}
