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
import java.time.Instant;
import org.stbguest.operator.web.ApiException;

/**
 * The rollout aggregate: one image for one role going out to every box of its models, in one wave. It owns its
 * state transitions and refuses illegal ones; an optimistic lock version stops two servers from racing.
 */
@Entity
@Table(name = "rollout")
class RolloutEntity {

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
    @Version
    @Column(name = "lock_version", nullable = false)
    private long lockVersion;

    protected RolloutEntity() {
    }

    RolloutEntity(String role, long imageId, Long previousImageId, int complaintThreshold, String createdBy, Instant now) {
        if (complaintThreshold < 1) {
            throw new ApiException.BadRequest("invalid-threshold", "complaint threshold must be at least 1");
        }
        this.role = role;
        this.imageId = imageId;
        this.previousImageId = previousImageId;
        this.complaintThreshold = complaintThreshold;
        this.createdBy = createdBy;
        this.createdAt = now;
        this.state = RolloutState.DRAFT;
    }

    void start(Instant now) {
        require(RolloutState.DRAFT, "start");
        state = RolloutState.STAGING;
        startedAt = now;
    }

    void beginActivation(Instant now) {
        require(RolloutState.STAGING, "activate");
        state = RolloutState.ACTIVATING;
        activatedAt = now;
    }

    void complete() {
        require(RolloutState.ACTIVATING, "complete");
        state = RolloutState.COMPLETED;
    }

    void finalizeRollout(Instant now) {
        if (state != RolloutState.ACTIVATING && state != RolloutState.COMPLETED) {
            throw illegal("finalize");
        }
        state = RolloutState.FINALIZED;
        endedAt = now;
        endReason = "finalized";
    }

    void rollBack(String reason, Instant now) {
        if (!state.live()) {
            throw illegal("roll back");
        }
        if (previousImageId == null) {
            throw new ApiException.Conflict("no-previous-image",
                    "rollout " + id + " has no previous image of role " + role + " to roll back to");
        }
        state = RolloutState.ROLLED_BACK;
        endedAt = now;
        endReason = reason;
    }

    private void require(RolloutState expected, String action) {
        if (state != expected) {
            throw illegal(action);
        }
    }

    private ApiException illegal(String action) {
        return new ApiException.Conflict("illegal-rollout-transition",
                "rollout " + id + " is " + state + "; it cannot " + action);
    }

    Long id() {
        return id;
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
}
