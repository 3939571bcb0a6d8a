package org.stbguest.operator.rollout;

import java.security.Principal;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Rollouts for operators: plan, start, watch, roll back. */
@RestController
@RequestMapping("/api/rollouts")
class RolloutController {

    record CreateRollout(long imageId, Integer complaintThreshold, List<WavePlan.Wave> waves,
                         WavePlan.MaintenanceWindow maintenanceWindow, org.stbguest.operator.device.Target.Filter target,
                         GuardOptions guard) {
    }

    record RollbackOrder(String reason) {
    }

    private final RolloutService rollouts;

    /**
     * An operator's action on a rollout races the ticker and the guard, which change the same aggregate every few
     * seconds: a lost optimistic-lock race is tried again (a fresh transaction sees the winner's state), up to three
     * times, before it becomes a 409.
     */
    static RolloutView retried(java.util.function.Supplier<RolloutView> action) {
        for (int attempt = 1; ; attempt++) {
            try {
                return action.get();
            } catch (org.springframework.dao.OptimisticLockingFailureException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    RolloutController(RolloutService rollouts) {
        this.rollouts = rollouts;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    RolloutView create(@RequestBody CreateRollout req, Principal who) {
        WavePlan plan = req.waves() == null && req.maintenanceWindow() == null ? null
                : new WavePlan(req.waves() == null ? WavePlan.allAtOnce().waves() : req.waves(),
                        req.maintenanceWindow());
        return rollouts.create(req.imageId(), req.complaintThreshold() == null ? RolloutService.MAX_COMPLAINT_THRESHOLD
                        : req.complaintThreshold(), plan, req.target(), req.guard(), who.getName());
    }

    @PostMapping("/{id}/pause")
    RolloutView pause(@PathVariable long id, Principal who) {
        return retried(() -> rollouts.pause(id, true, who.getName()));
    }

    @PostMapping("/{id}/resume")
    RolloutView resume(@PathVariable long id, Principal who) {
        return retried(() -> rollouts.pause(id, false, who.getName()));
    }

    /** Starts the next wave now (or completes the rollout after its last), whatever soak and success say. */
    @PostMapping("/{id}/advance")
    RolloutView advance(@PathVariable long id, Principal who) {
        return retried(() -> rollouts.advanceByHand(id, who.getName()));
    }

    /** Stops the rollout where it stands: no further wave, no rollback. */
    @PostMapping("/{id}/abort")
    RolloutView abort(@PathVariable long id, @RequestBody(required = false) RollbackOrder order, Principal who) {
        String reason = order == null || order.reason() == null || order.reason().isBlank()
                ? "aborted by " + who.getName() : order.reason();
        return retried(() -> rollouts.abort(id, reason, who.getName()));
    }

    @PostMapping("/{id}/start")
    RolloutView start(@PathVariable long id, Principal who) {
        return retried(() -> rollouts.start(id, who.getName()));
    }

    @PostMapping("/{id}/rollback")
    RolloutView rollback(@PathVariable long id, @RequestBody(required = false) RollbackOrder order, Principal who) {
        String reason = order == null || order.reason() == null || order.reason().isBlank()
                ? "ordered by " + who.getName() : order.reason();
        return retried(() -> rollouts.rollBack(id, reason, who.getName()));
    }

    @PostMapping("/{id}/finalize")
    RolloutView finalizeRollout(@PathVariable long id, Principal who) {
        return retried(() -> rollouts.finalizeRollout(id, who.getName()));
    }

    @GetMapping
    List<RolloutView> list() {
        return rollouts.list();
    }

    @GetMapping("/{id}")
    RolloutView get(@PathVariable long id) {
        return rollouts.get(id);
    }
}
