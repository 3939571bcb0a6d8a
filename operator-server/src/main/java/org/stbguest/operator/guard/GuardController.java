package org.stbguest.operator.guard;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** The guard's series for operators (and the console's chart). */
@RestController
class GuardController {

    private final SequentialGuard guard;

    GuardController(SequentialGuard guard) {
        this.guard = guard;
    }

    /** Every evaluation of a rollout's guard: counts and exposures per cohort, statistics, thresholds, decisions. */
    @GetMapping("/api/rollouts/{id}/guard")
    SequentialGuard.Series series(@PathVariable long id) {
        return guard.series(id);
    }
}
