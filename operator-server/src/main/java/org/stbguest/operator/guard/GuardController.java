package org.stbguest.operator.guard;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** The guard's series for operators (and the console's chart). */
@RestController
class GuardController {

    private final SequentialGuard guard;
    private final CanaryPlanner planner;

    GuardController(SequentialGuard guard, CanaryPlanner planner) {
        this.guard = guard;
        this.planner = planner;
    }

    /**
     * Sizing a canary: the median hours to detect a 2, 3, 5 and 10 times regression, and the subscriber-hours the
     * canary is exposed meanwhile.
     */
    @GetMapping("/api/guard/planner")
    CanaryPlanner.Plan plan(@org.springframework.web.bind.annotation.RequestParam int targets,
                            @org.springframework.web.bind.annotation.RequestParam double canaryShare,
                            @org.springframework.web.bind.annotation.RequestParam(defaultValue = "0.0001")
                            double baselinePerBoxHour,
                            @org.springframework.web.bind.annotation.RequestParam(defaultValue = "0.001") double alpha,
                            @org.springframework.web.bind.annotation.RequestParam(defaultValue = "2") double r1) {
        return planner.plan(targets, canaryShare, baselinePerBoxHour, alpha, r1);
    }

    /** Every evaluation of a rollout's guard: counts and exposures per cohort, statistics, thresholds, decisions. */
    @GetMapping("/api/rollouts/{id}/guard")
    SequentialGuard.Series series(@PathVariable long id) {
        return guard.series(id);
    }
}
