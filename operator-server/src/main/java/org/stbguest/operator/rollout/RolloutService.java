package org.stbguest.operator.rollout;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.device.api.ImageOffer;
import org.stbguest.device.api.RoleDirective;
import org.stbguest.image.Digest;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.device.DeviceService;
import org.stbguest.operator.device.Target;
import org.stbguest.operator.image.ImageService;
import org.stbguest.operator.image.ImageState;
import org.stbguest.operator.image.ImageView;
import org.stbguest.operator.security.DevicePrincipal;
import org.stbguest.operator.transmission.TransmissionService;
import org.stbguest.image.trust.Statement;
import org.stbguest.operator.DomainException;

/**
 * Plans, starts, advances and rolls back rollouts, and turns the current rollouts into each box's desired state.
 * Decisions about legal transitions are the {@link RolloutEntity}'s; this service orchestrates.
 */
@Service
public class RolloutService {

    private static final Logger log = LoggerFactory.getLogger(RolloutService.class);
    private static final EnumSet<RolloutState> LIVE =
            EnumSet.of(RolloutState.STAGING, RolloutState.ACTIVATING, RolloutState.COMPLETED);
    private static final EnumSet<RolloutState> IN_PROGRESS = EnumSet.of(RolloutState.STAGING, RolloutState.ACTIVATING);

    /** What a box should stage per role, and which statement streams concern it. */
    public record DeviceDirectives(List<RoleDirective> roles, List<String> statementStreams) {
    }

    /**
     * What the guard needs to judge a live rollout: the image and the one it replaces (the two cohorts), the
     * targets' models, when activation began, the hard cap on complaints, and the wave plan (to calibrate).
     */
    public record GuardCandidate(long rolloutId, String role, Digest image, Digest previous, Target target,
                                 Instant activatedAt, int complaintThreshold, WavePlan plan, GuardOptions guard) {
    }

    public static final int MAX_COMPLAINT_THRESHOLD = 1_000_000;
    static final int MAX_REASON = 500;

    private static final java.util.Set<org.stbguest.device.api.ReportType> INSTALL_FAILURES = java.util.EnumSet.of(
            org.stbguest.device.api.ReportType.STAGE_FAILED);
    private static final java.util.Set<org.stbguest.device.api.ReportType> BOOT_FAILURES = java.util.EnumSet.of(
            org.stbguest.device.api.ReportType.BOOT_FAILED);
    private static final java.util.Set<org.stbguest.device.api.ReportType> CRASHES = java.util.EnumSet.of(
            org.stbguest.device.api.ReportType.CRASHED);

    private final RolloutRepository rollouts;
    private final ImageService images;
    private final DeviceService devices;
    private final TransmissionService transmissions;
    private final org.stbguest.operator.telemetry.TelemetryService telemetry;
    private final AuditLog audit;
    private final Clock clock;
    private final org.stbguest.operator.StbProperties.Guard guardDefaults;

    RolloutService(RolloutRepository rollouts, ImageService images, DeviceService devices,
                   TransmissionService transmissions, org.stbguest.operator.telemetry.TelemetryService telemetry,
                   AuditLog audit, Clock clock, org.stbguest.operator.StbProperties props) {
        this.guardDefaults = props.guard();
        this.rollouts = rollouts;
        this.images = images;
        this.devices = devices;
        this.transmissions = transmissions;
        this.telemetry = telemetry;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * The security floor of a role: the highest security version of any finalized rollout's image. Boxes refuse
     * anything below it, so the server refuses to plan, roll back to or finalize below it as well.
     */
    @Transactional(readOnly = true)
    public long securityFloor(String role) {
        long floor = 0;
        for (RolloutEntity r : rollouts.findByRoleAndState(role, RolloutState.FINALIZED)) {
            floor = Math.max(floor, images.get(r.imageId()).securityVersion());
        }
        return floor;
    }

    /**
     * Plans a rollout of a released image in waves ({@code plan}; null: all at once); the previous release of the
     * role becomes the rollback target.
     */
    @Transactional
    public RolloutView create(long imageId, int complaintThreshold, WavePlan plan, String actor) {
        return create(imageId, complaintThreshold, plan, null, null, actor);
    }

    /**
     * Plans a rollout of a released image to the boxes of its models that pass {@code filter} (null: all), in waves,
     * watched by a guard with these options.
     */
    @Transactional
    public RolloutView create(long imageId, int complaintThreshold, WavePlan plan, Target.Filter filter,
                              GuardOptions guard, String actor) {
        if (complaintThreshold < 1 || complaintThreshold > MAX_COMPLAINT_THRESHOLD) {
            throw DomainException.invalid("invalid-rollout", "complaintThreshold must be in 1.."
                    + MAX_COMPLAINT_THRESHOLD);
        }
        ImageView image = images.get(imageId);
        if (image.state() != ImageState.RELEASED) {
            throw DomainException.conflict("image-not-released", "image " + imageId + " is " + image.state());
        }
        long floor = securityFloor(image.role());
        if (image.securityVersion() < floor) {
            throw DomainException.conflict("below-security-floor", "image " + imageId + " has security version "
                    + image.securityVersion() + ", below the finalized floor " + floor + " of role " + image.role());
        }
        WavePlan waves = plan == null ? WavePlan.allAtOnce() : plan;
        Long previous = images.previousRelease(image.role(), image.version()).map(ImageView::id).orElse(null);
        GuardOptions options = (guard == null ? new GuardOptions(null, null, null) : guard)
                .orDefaults(guardDefaults.alpha(), guardDefaults.r1());
        RolloutEntity r = rollouts.save(new RolloutEntity(image.role(), imageId, previous, complaintThreshold, waves,
                filter, options, actor, clock.instant()));
        audit.record(actor, "rollout.create", "rollout/" + r.id(), "image=" + imageId + " previous=" + previous
                + " complaint_threshold=" + complaintThreshold + " waves=" + waves.size()
                + (filter == null || filter.isEmpty() ? "" : " filter=" + filter)
                + " guard=" + options.signals() + "@" + options.alpha());
        return view(r);
    }

    /** Starts a rollout: its image goes on the air and every target is told to stage it. */
    @Transactional
    public RolloutView start(long id, String actor) {
        RolloutEntity r = entity(id);
        if (r.state() == RolloutState.DRAFT && rollouts.existsByRoleAndStateIn(r.role(), LIVE)) {
            throw DomainException.conflict("rollout-in-progress", "role " + r.role() + " already has a live rollout");
        }
        ImageView image = images.get(r.imageId());
        long floor = securityFloor(r.role());
        if (image.securityVersion() < floor) {
            throw DomainException.conflict("below-security-floor", "image " + image.id() + " has security version "
                    + image.securityVersion() + ", below the finalized floor " + floor + " of role " + r.role());
        }
        r.start(actor, clock.instant());
        log.info("event=rollout_started id={} role={}", id, r.role());
        return view(rollouts.save(r));
    }

    /** Orders every box back to the previous image. */
    @Transactional
    public RolloutView rollBack(long id, String reason, String actor) {
        RolloutEntity r = entity(id);
        if (reason.length() > MAX_REASON) {
            throw DomainException.invalid("invalid-reason", "a reason has at most " + MAX_REASON + " characters");
        }
        if (r.previousImageId() != null) {
            long floor = securityFloor(r.role());
            ImageView previous = images.get(r.previousImageId());
            if (previous.securityVersion() < floor) {
                throw DomainException.conflict("below-security-floor", "the previous image has security version "
                        + previous.securityVersion() + ", below the finalized floor " + floor + " of role " + r.role());
            }
        }
        r.rollBack(reason, previousDigest(r), actor, clock.instant());
        log.warn("event=rollback_ordered id={} role={} actor={} reason={}", id, r.role(), actor, reason);
        return view(rollouts.save(r));
    }

    /** A threshold was breached (the guard): halt and roll back. */
    @Transactional
    public RolloutView halt(long id, String reason, String actor) {
        RolloutEntity r = entity(id);
        r.halt(reason, previousDigest(r), actor, clock.instant());
        log.warn("event=rollout_halted id={} role={} actor={} reason={}", id, r.role(), actor, reason);
        return view(rollouts.save(r));
    }

    /** Stops a rollout where it stands: no further wave, no rollback. */
    @Transactional
    public RolloutView abort(long id, String reason, String actor) {
        if (reason.length() > MAX_REASON) {
            throw DomainException.invalid("invalid-reason", "a reason has at most " + MAX_REASON + " characters");
        }
        RolloutEntity r = entity(id);
        r.abort(reason, actor, clock.instant());
        return view(rollouts.save(r));
    }

    /** Pauses (no wave starts, nothing halts by threshold) or resumes a rollout. */
    @Transactional
    public RolloutView pause(long id, boolean pause, String actor) {
        RolloutEntity r = entity(id);
        r.pause(pause, actor, clock.instant());
        return view(rollouts.save(r));
    }

    /** Starts the next wave (or completes the rollout) now, whatever soak and success say. */
    @Transactional
    public RolloutView advanceByHand(long id, String actor) {
        RolloutEntity r = entity(id);
        ImageView image = images.get(r.imageId());
        r.advanceByHand(i -> cohort(r, image, i), image.rootDigest().hex(), actor, clock.instant());
        return view(rollouts.save(r));
    }

    /**
     * Makes a rollout final: boxes raise their security floor to the image's security version, after which a
     * rollback below it is refused by the boxes themselves.
     */
    @Transactional
    public RolloutView finalizeRollout(long id, String actor) {
        RolloutEntity r = entity(id);
        ImageView image = images.get(r.imageId());
        long floor = securityFloor(r.role());
        if (image.securityVersion() < floor) {
            throw DomainException.conflict("floor-would-lower", "finalizing rollout " + id + " would set the floor of "
                    + r.role() + " to " + image.securityVersion() + ", below its finalized floor " + floor);
        }
        r.finalizeRollout(image.securityVersion(), actor, clock.instant());
        return view(rollouts.save(r));
    }

    /**
     * One tick for every rollout in progress: the service measures (targets, staged, running, failures since the
     * wave began) and the aggregate decides.
     */
    @Transactional
    public void advance() {
        for (RolloutEntity r : rollouts.findByStateIn(IN_PROGRESS)) {
            ImageView image = images.get(r.imageId());
            Target target = target(r, image);
            long targets = devices.countTargets(target);
            long staged = devices.countHolding(r.role(), image.rootDigest(), target);
            long running = devices.countRunning(r.role(), image.rootDigest(), target);
            long installFailures = telemetry.boxesReporting(image.rootDigest(), INSTALL_FAILURES, r.startedAt());
            long bootFailures = r.activatedAt() == null ? 0
                    : telemetry.boxesReporting(image.rootDigest(), BOOT_FAILURES, r.activatedAt());
            long crashes = r.activatedAt() == null ? 0
                    : telemetry.boxesReporting(image.rootDigest(), CRASHES, r.activatedAt());
            RolloutState before = r.state();
            int waveBefore = r.currentWave();
            r.tick(new RolloutEntity.Progress(targets, staged, running, installFailures, bootFailures,
                    crashes), i -> cohort(r, image, i),
                    previousDigest(r), image.rootDigest().hex(), clock.instant());
            if (r.state() != before || r.currentWave() != waveBefore) {
                log.info("event=rollout_advanced id={} state={} wave={} targets={} staged={} running={} "
                        + "install_failures={} boot_failures={} crashes={}", r.id(), r.state(), r.currentWave() + 1,
                        targets, staged, running, installFailures, bootFailures, crashes);
            }
            rollouts.save(r);
        }
    }

    /** The boxes of wave {@code index}: the first of the targets in the rollout's stable hash order. */
    private RolloutEntity.CohortSize cohort(RolloutEntity r, ImageView image, int index) {
        List<UUID> ids = devices.targetIds(target(r, image));
        long boxes = r.plan().wave(index).size(ids.size());
        if (boxes >= ids.size()) {
            return new RolloutEntity.CohortSize(Statement.Cohort.ALL, ids.size());
        }
        long[] ranks = ids.stream().mapToLong(id -> Statement.Cohort.rank(r.id(), id)).sorted().toArray();
        return new RolloutEntity.CohortSize(ranks[(int) Math.max(1, boxes) - 1] + 1, Math.max(1, boxes));
    }

    /** The boxes a rollout targets: its image's models, narrowed by its filter. */
    private static Target target(RolloutEntity r, ImageView image) {
        return Target.of(image.hardwareModels(), r.filter());
    }

    private String previousDigest(RolloutEntity r) {
        return r.previousImageId() == null ? null : images.get(r.previousImageId()).rootDigest().hex();
    }

    /** Live rollouts whose image boxes run, for the guard. */
    @Transactional(readOnly = true)
    public List<GuardCandidate> guardCandidates() {
        List<GuardCandidate> out = new ArrayList<>();
        for (RolloutEntity r : rollouts.findByStateIn(EnumSet.of(RolloutState.ACTIVATING, RolloutState.COMPLETED))) {
            ImageView image = images.get(r.imageId());
            Digest previous = r.previousImageId() == null ? null : images.get(r.previousImageId()).rootDigest();
            out.add(new GuardCandidate(r.id(), r.role(), image.rootDigest(), previous, target(r, image),
                    r.activatedAt(), r.complaintThreshold(), r.plan(), r.guard()));
        }
        return out;
    }

    /** What a box should stage per role and the statement streams that concern it (read afresh; tests). */
    @Transactional(readOnly = true)
    public DeviceDirectives directivesFor(DevicePrincipal device) {
        return directiveTable().directivesFor(device, (role, digest) -> false);
    }

    /**
     * Every non-draft rollout as check-ins read it, newest first, with its images and live transmission: read once
     * per change of the rollout material (the check-in cache holds it), never per check-in.
     */
    @Transactional(readOnly = true)
    public DirectiveTable directiveTable() {
        java.util.Map<Long, ImageView> views = new java.util.HashMap<>();
        List<DirectiveTable.Entry> entries = new ArrayList<>();
        var coverage = new DirectiveTable.Coverage(); // skip the lookups of rollouts no box can reach any more
        for (RolloutEntity r : rollouts.findByStateNotOrderByIdDesc(RolloutState.DRAFT)) {
            ImageView image = views.computeIfAbsent(r.imageId(), images::get);
            if (!coverage.admit(r.role(), image.hardwareModels(), !r.filter().isEmpty())) {
                continue;
            }
            ImageView previous = r.state() == RolloutState.ROLLED_BACK && r.previousImageId() != null
                    ? views.computeIfAbsent(r.previousImageId(), images::get) : null;
            var transmission = LIVE.contains(r.state()) || r.state() == RolloutState.FINALIZED
                    ? transmissions.liveFor(r.id()).orElse(null) : null;
            entries.add(new DirectiveTable.Entry(r.role(), r.state(), image, previous,
                    r.filter().isEmpty() ? null : target(r, image), transmission));
        }
        return DirectiveTable.of(entries);
    }

    @Transactional(readOnly = true)
    public RolloutView get(long id) {
        return view(entity(id));
    }

    @Transactional(readOnly = true)
    public List<RolloutView> list() {
        return rollouts.findAllByOrderByIdDesc().stream().map(this::view).toList();
    }

    private RolloutEntity entity(long id) {
        return rollouts.findById(id).orElseThrow(() -> DomainException.notFound("rollout-not-found", "no rollout " + id));
    }

    private RolloutView view(RolloutEntity r) {
        ImageView image = images.get(r.imageId());
        ImageView previous = r.previousImageId() == null ? null : images.get(r.previousImageId());
        Target target = target(r, image);
        long targets = devices.countTargets(target);
        long staged = devices.countHolding(r.role(), image.rootDigest(), target);
        long activated = devices.countRunning(r.role(), image.rootDigest(), target);
        long onPrevious = previous == null ? 0 : devices.countRunning(r.role(), previous.rootDigest(), target);
        long[] back = telemetry.activatedAndBack(r.role(), image.rootDigest(),
                previous == null ? null : previous.rootDigest());
        return new RolloutView(r.id(), r.role(), r.imageId(), image.version(), image.rootDigest().hex(),
                r.previousImageId(), previous == null ? null : previous.rootDigest().hex(), r.state(),
                r.complaintThreshold(), targets, staged, activated, onPrevious, r.createdAt(), r.startedAt(),
                r.activatedAt(), r.endedAt(), r.endReason(), r.plan(), r.currentWave() + 1, r.waveBoxes(),
                r.waveStartedAt(), r.paused(), back[0], back[1], r.filter(), r.guard());
    }
}
