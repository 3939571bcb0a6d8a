package org.stbguest.operator.rollout;

import java.time.Instant;

/**
 * A rollout with its progress counts, as the API and the demo show it.
 *
 * @param wave      the wave in progress, 1-based (0: none has begun)
 * @param waveBoxes how many boxes the wave in progress takes, cumulatively
 * @param everActivated boxes that reported committing the image during this rollout
 * @param backOnPrevious of those, the boxes that run the previous image now (a rollback's completion)
 * @param filter    the rollout's filter over its image's models' boxes
 * @param guard     what its guard watches
 */
public record RolloutView(long id, String role, long imageId, long version, String imageDigest, Long previousImageId,
                          String previousDigest, RolloutState state, int complaintThreshold, long targets, long staged,
                          long activated, long onPrevious, Instant createdAt, Instant startedAt, Instant activatedAt,
                          Instant endedAt, String endReason, WavePlan plan, int wave, Long waveBoxes,
                          Instant waveStartedAt, boolean paused, long everActivated, long backOnPrevious,
                          org.stbguest.operator.device.Target.Filter filter, GuardOptions guard) {
}
