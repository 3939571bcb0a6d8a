package org.stbguest.operator.events;

import java.time.Instant;

/**
 * What a rollout did, registered by the rollout aggregate when it decides and published when it is saved. Other
 * features react: the transmission goes on or off the air, the director signs statements, the audit records. A
 * closed set: consume it with an exhaustive {@code switch}.
 */
public sealed interface RolloutEvent {

    long rolloutId();

    String role();

    /** Who caused it: an operator's name, or {@code system} / {@code guard}. */
    String actor();

    Instant at();

    /** The image went on the air: every target stages it. */
    record RolloutStarted(long rolloutId, String role, long imageId, String actor, Instant at) implements RolloutEvent {
    }

    /**
     * A wave began: the boxes whose rank for {@code cohortSeed} is below {@code cohortBound} (see
     * {@code Statement.Cohort}) are told to run {@code imageDigest}; {@code boxes} of the targets are in it.
     */
    record WaveStarted(long rolloutId, String role, int wave, String imageDigest, long cohortSeed, long cohortBound,
                       long boxes, String actor, Instant at) implements RolloutEvent {
    }

    /** The last wave met its success threshold. */
    record RolloutCompleted(long rolloutId, String role, String actor, Instant at) implements RolloutEvent {
    }

    /** A threshold was breached (failures, complaints): the rollout stops and rolls back. */
    record RolloutHalted(long rolloutId, String role, String reason, String actor, Instant at) implements RolloutEvent {
    }

    /** Every box is told to run {@code previousDigest} again. */
    record RollbackOrdered(long rolloutId, String role, String previousDigest, String reason, String actor, Instant at)
            implements RolloutEvent {
    }

    /** Stopped where it stands: no further wave, no rollback; boxes keep what they run. */
    record RolloutAborted(long rolloutId, String role, String reason, String actor, Instant at) implements RolloutEvent {
    }

    /** Paused or resumed by an operator. */
    record RolloutPaused(long rolloutId, String role, boolean paused, String actor, Instant at) implements RolloutEvent {
    }

    /** Final: boxes raise their security floor to {@code securityFloor}. */
    record RolloutFinalized(long rolloutId, String role, long securityFloor, String actor, Instant at)
            implements RolloutEvent {
    }
}
