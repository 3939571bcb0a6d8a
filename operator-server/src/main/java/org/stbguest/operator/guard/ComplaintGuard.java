package org.stbguest.operator.guard;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.stbguest.operator.rollout.RolloutService;
import org.stbguest.operator.telemetry.TelemetryService;

/**
 * The rollback guard, in its first, simple form: a rollout is rolled back once the call center has logged
 * {@code complaintThreshold} tickets from boxes running its image since activation. (A sequential test comparing
 * against the boxes still on the old image replaces this threshold in a later issue.)
 */
@Component
class ComplaintGuard {

    private static final Logger log = LoggerFactory.getLogger(ComplaintGuard.class);

    private final RolloutService rollouts;
    private final TelemetryService telemetry;

    ComplaintGuard(RolloutService rollouts, TelemetryService telemetry) {
        this.rollouts = rollouts;
        this.telemetry = telemetry;
    }

    @Scheduled(fixedDelayString = "${stb.rollout-tick:2s}")
    void evaluate() {
        for (RolloutService.GuardCandidate c : rollouts.guardCandidates()) {
            try {
                long complaints = telemetry.complaintsFromDevicesRunning(c.role(), c.image(), c.activatedAt());
                log.debug("event=guard_evaluated rollout={} complaints={} threshold={}", c.rolloutId(), complaints,
                        c.complaintThreshold());
                if (complaints >= c.complaintThreshold()) {
                    rollouts.halt(c.rolloutId(), "guard: " + complaints + " complaints from boxes running image "
                            + c.image().shortHex() + " since activation (threshold " + c.complaintThreshold() + ")", "guard");
                }
            } catch (RuntimeException e) {
                log.warn("event=guard_failed rollout={} error={}", c.rolloutId(), e.toString());
            }
        }
    }
}
