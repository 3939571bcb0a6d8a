package org.stbguest.operator.rollout;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.util.function.IntFunction;
import org.springframework.data.domain.AbstractAggregateRoot;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.operator.DomainException;
import org.stbguest.operator.events.RolloutEvent;
import java.time.Instant;

/**
 * The rollout aggregate: one image for one role going out to the boxes of its models, staged everywhere at once and
 * activated in waves. It owns its state machine: every transition is a method here that refuses illegal ones and
 * registers an event ({@link RolloutEvent}), published when the aggregate is saved; the transmission, the director's
 * statements and the audit react to those. It also decides, from what the service measured, when a wave has soaked
 * and succeeded, and when failures halt it. An optimistic lock version stops two servers from racing.
 */
@Entity
@Table(name = "rollout")
class RolloutEntity extends AbstractAggregateRoot<RolloutEntity> {

    /** A wave's boxes: those whose rank is below {@code bound}; {@code boxes} of the targets. */
    record CohortSize(long bound, long boxes) {
    }

    /**
     * What the service measured for a tick: targets, how many hold and run the image, how many boxes failed to
     * install it since the rollout started (every target stages, so these are weighed against all targets), and how
     * many failed its trial boot or reported a guest crash on it since activation (weighed against the wave's boxes).
     */
    record Progress(long targets, long staged, long running, long installFailures, long bootFailures, long crashes) {

        /** Boot failures only. */
        Progress(long targets, long staged, long running, long bootFailures) {
            this(targets, staged, running, 0, bootFailures, 0);
        }
    }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;
    @Column(nullable = false)
    private String role;
    @Column(name = "image_id", nullable = false)
    private long imageId;
    @Column(name = "previous_image_id")
    private Long previousImageId;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private RolloutState state;
    @Column(name = "complaint_threshold", nullable = false)
    private int complaintThreshold;
    @Column(name = "created_at", nullable = false)
    private Instant createdAt;
    @Column(name = "started_at")
    private Instant startedAt;
    @Column(name = "activated_at")
    private Instant activatedAt;
    @Column(name = "ended_at")
    private Instant endedAt;
    @Column(name = "end_reason")
    private String endReason;
    @Column(name = "created_by", nullable = false)
    private String createdBy;
    @Column(name = "wave_plan", nullable = false)
    private String wavePlan;
    @Column(name = "current_wave", nullable = false)
    private int currentWave = -1;
    @Column(name = "wave_started_at")
    private Instant waveStartedAt;
    @Column(name = "wave_bound")
    private Long waveBound;
    @Column(name = "wave_boxes")
    private Long waveBoxes;
    @Column(nullable = false)
    private boolean paused;
    @Column(name = "target_filter")
    private String targetFilter;
    @Column(name = "guard_alpha")
    private Double guardAlpha;
    @Column(name = "guard_r1")
    private Double guardR1;
    @Column(name = "guard_signals")
    private String guardSignals;
    @Version
    @Column(name = "lock_version", nullable = false)
    private long lockVersion;

    protected RolloutEntity() {
    }

    RolloutEntity(String role, long imageId, Long previousImageId, int complaintThreshold, WavePlan plan,
                  String createdBy, Instant now) {
        this(role, imageId, previousImageId, complaintThreshold, plan, null, GuardOptions.DEFAULTS, createdBy, now);
    }

    RolloutEntity(String role, long imageId, Long previousImageId, int complaintThreshold, WavePlan plan,
                  org.stbguest.operator.device.Target.Filter filter, GuardOptions guard, String createdBy,
                  Instant now) {
        this.targetFilter = filter == null || filter.isEmpty() ? null
                : DeviceApiJson.mapper().writeValueAsString(filter);
        this.guardAlpha = guard.alpha();
        this.guardR1 = guard.r1();
        this.guardSignals = String.join(",", guard.signals().stream().map(Enum::name).toList());
        if (complaintThreshold < 1) {
            throw DomainException.invalid("invalid-threshold", "complaint threshold must be at least 1");
        }
        this.role = role;
        this.imageId = imageId;
        this.previousImageId = previousImageId;
        this.complaintThreshold = complaintThreshold;
        this.wavePlan = DeviceApiJson.mapper().writeValueAsString(plan);
        this.createdBy = createdBy;
        this.createdAt = now;
        this.state = RolloutState.DRAFT;
    }

    /** DRAFT → STAGING: the image goes on the air and every target stages it. */
    void start(String actor, Instant now) {
        require(RolloutState.DRAFT, "start");
        state = RolloutState.STAGING;
        startedAt = now;
        registerEvent(new RolloutEvent.RolloutStarted(id, role, imageId, actor, now));
    }

    /**
     * One tick of the rollout's own judgement, on what the service measured: the first wave begins once enough
     * targets hold the image; a wave whose failures reach its threshold halts the rollout (and rolls it back); a wave
     * that has soaked and succeeded makes way for the next, and the last completes the rollout. Paused: nothing.
     *
     * @param cohorts the boxes of wave i, computed only when a wave begins
     * @param previousDigest the image to roll back to (null when there is none: a halt then aborts)
     */
    void tick(Progress p, IntFunction<CohortSize> cohorts, String previousDigest, String imageDigest, Instant now) {
        if (paused || p.targets() == 0) {
            return;
        }
        WavePlan plan = plan();
        if (state == RolloutState.STAGING || state == RolloutState.ACTIVATING) {
            // every target stages: install failures are weighed against all of them
            WavePlan.Wave w = plan.wave(Math.max(0, currentWave));
            if (p.installFailures() >= w.minFailures() && p.installFailures() >= w.maxFailureShare() * p.targets()) {
                halt(p.installFailures() + " of the " + p.targets() + " targets failed to install the image "
                        + "(threshold " + w.maxFailureShare() * 100 + "%, at least " + w.minFailures() + ")",
                        previousDigest, "system", now);
                return;
            }
        }
        switch (state) {
            case STAGING -> {
                WavePlan.Wave first = plan.wave(0);
                if (p.staged() >= Math.ceil(first.successShare() * p.targets() - 1e-9) && plan.inWindow(now)) {
                    beginWave(0, cohorts.apply(0), imageDigest, "system", now);
                }
            }
            case ACTIVATING -> {
                WavePlan.Wave w = plan.wave(currentWave);
                long boxes = Math.max(1, waveBoxes == null ? p.targets() : waveBoxes);
                if (p.bootFailures() >= w.minFailures() && p.bootFailures() >= w.maxFailureShare() * boxes) {
                    halt(p.bootFailures() + " of the " + boxes + " boxes of wave " + (currentWave + 1)
                            + " failed to boot the image on trial (threshold " + w.maxFailureShare() * 100
                            + "%, at least " + w.minFailures() + ")", previousDigest, "system", now);
                    return;
                }
                if (p.crashes() >= w.minCrashes() && p.crashes() >= w.maxCrashShare() * boxes) {
                    halt(p.crashes() + " of the " + boxes + " boxes of wave " + (currentWave + 1)
                            + " reported guest crashes on the image (threshold " + w.maxCrashShare() * 100
                            + "%, at least " + w.minCrashes() + ")", previousDigest, "system", now);
                    return;
                }
                boolean soaked = !now.isBefore(waveStartedAt.plus(w.minSoak()));
                boolean last = currentWave + 1 >= plan.size();
                if (soaked && p.running() >= Math.ceil(w.successShare() * boxes - 1e-9)
                        && (last || plan.inWindow(now))) {
                    nextWaveOrComplete(cohorts, imageDigest, "system", now);
                }
            }
            default -> {
                // DRAFT waits for start; the ended states wait for nothing
            }
        }
    }

    /** An operator moves the rollout on without waiting for soak or success: the next wave, or completion. */
    void advanceByHand(IntFunction<CohortSize> cohorts, String imageDigest, String actor, Instant now) {
        switch (state) {
            case STAGING -> beginWave(0, cohorts.apply(0), imageDigest, actor, now);
            case ACTIVATING -> nextWaveOrComplete(cohorts, imageDigest, actor, now);
            default -> throw illegal("advance");
        }
    }

    private void nextWaveOrComplete(IntFunction<CohortSize> cohorts, String imageDigest, String actor, Instant now) {
        if (currentWave + 1 < plan().size()) {
            beginWave(currentWave + 1, cohorts.apply(currentWave + 1), imageDigest, actor, now);
        } else {
            state = RolloutState.COMPLETED;
            registerEvent(new RolloutEvent.RolloutCompleted(id, role, actor, now));
        }
    }

    private void beginWave(int index, CohortSize cohort, String imageDigest, String actor, Instant now) {
        if (index == 0) {
            state = RolloutState.ACTIVATING;
            activatedAt = now;
        }
        currentWave = index;
        waveStartedAt = now;
        waveBound = cohort.bound();
        waveBoxes = cohort.boxes();
        registerEvent(new RolloutEvent.WaveStarted(id, role, index, imageDigest, id, cohort.bound(), cohort.boxes(),
                actor, now));
    }

    /** A threshold was breached: the rollout stops and every box goes back to the previous image. */
    void halt(String reason, String previousDigest, String actor, Instant now) {
        if (!state.live()) {
            throw illegal("halt");
        }
        registerEvent(new RolloutEvent.RolloutHalted(id, role, reason, actor, now));
        if (previousDigest == null) {
            end(RolloutState.ABORTED, reason + "; no previous image to roll back to", now);
            registerEvent(new RolloutEvent.RolloutAborted(id, role, endReason, actor, now));
            return;
        }
        end(RolloutState.ROLLED_BACK, reason, now);
        registerEvent(new RolloutEvent.RollbackOrdered(id, role, previousDigest, reason, actor, now));
    }

    /** An operator orders every box back to the previous image. */
    void rollBack(String reason, String previousDigest, String actor, Instant now) {
        if (!state.live()) {
            throw illegal("roll back");
        }
        if (previousDigest == null) {
            throw DomainException.conflict("no-previous-image",
                    "rollout " + id + " has no previous image of role " + role + " to roll back to");
        }
        end(RolloutState.ROLLED_BACK, reason, now);
        registerEvent(new RolloutEvent.RollbackOrdered(id, role, previousDigest, reason, actor, now));
    }

    /** Stops where it stands: no further wave and no rollback. */
    void abort(String reason, String actor, Instant now) {
        if (!state.live()) {
            throw illegal("abort");
        }
        end(RolloutState.ABORTED, reason, now);
        registerEvent(new RolloutEvent.RolloutAborted(id, role, reason, actor, now));
    }

    void pause(boolean pause, String actor, Instant now) {
        if (!state.live() && state != RolloutState.DRAFT) {
            throw illegal(pause ? "pause" : "resume");
        }
        if (paused == pause) {
            throw DomainException.conflict("illegal-rollout-transition", "rollout " + id + " is already "
                    + (pause ? "paused" : "running"));
        }
        paused = pause;
        registerEvent(new RolloutEvent.RolloutPaused(id, role, pause, actor, now));
    }

    void finalizeRollout(long securityFloor, String actor, Instant now) {
        if (state != RolloutState.ACTIVATING && state != RolloutState.COMPLETED) {
            throw illegal("finalize");
        }
        end(RolloutState.FINALIZED, "finalized", now);
        registerEvent(new RolloutEvent.RolloutFinalized(id, role, securityFloor, actor, now));
    }

    private void end(RolloutState to, String reason, Instant now) {
        state = to;
        endedAt = now;
        endReason = reason;
    }

    private void require(RolloutState expected, String action) {
        if (state != expected) {
            throw illegal(action);
        }
    }

    private DomainException illegal(String action) {
        return DomainException.conflict("illegal-rollout-transition",
                "rollout " + id + " is " + state + "; it cannot " + action);
    }

    WavePlan plan() {
        return DeviceApiJson.mapper().readValue(wavePlan, WavePlan.class);
    }

    /** The rollout's filter over its image's models' boxes (empty: all of them). */
    org.stbguest.operator.device.Target.Filter filter() {
        return targetFilter == null ? org.stbguest.operator.device.Target.Filter.NONE
                : DeviceApiJson.mapper().readValue(targetFilter, org.stbguest.operator.device.Target.Filter.class);
    }

    /** What the rollout's guard watches (rollouts planned before guard options had the defaults). */
    GuardOptions guard() {
        return new GuardOptions(guardAlpha, guardR1, guardSignals == null ? null
                : java.util.Arrays.stream(guardSignals.split(",")).map(GuardOptions.Signal::valueOf).toList());
    }

    /** The events registered and not yet published (for tests of the aggregate without a repository). */
    java.util.List<Object> pendingEvents() {
        return java.util.List.copyOf(domainEvents());
    }

    Long id() {
        return id;
    }

    /** Tests of the aggregate have no database to number it. */
    void assignIdForTest(long id) {
        this.id = id;
    }

    String role() {
        return role;
    }

    long imageId() {
        return imageId;
    }

    Long previousImageId() {
        return previousImageId;
    }

    RolloutState state() {
        return state;
    }

    int complaintThreshold() {
        return complaintThreshold;
    }

    Instant createdAt() {
        return createdAt;
    }

    Instant startedAt() {
        return startedAt;
    }

    Instant activatedAt() {
        return activatedAt;
    }

    Instant endedAt() {
        return endedAt;
    }

    String endReason() {
        return endReason;
    }

    int currentWave() {
        return currentWave;
    }

    Instant waveStartedAt() {
        return waveStartedAt;
    }

    Long waveBoxes() {
        return waveBoxes;
    }

    Long waveBound() {
        return waveBound;
    }

    boolean paused() {
        return paused;
    }
}
