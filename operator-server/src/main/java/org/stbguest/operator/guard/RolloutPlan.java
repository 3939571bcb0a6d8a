package org.stbguest.operator.guard;

import java.time.Duration;
import java.util.List;

/**
 * What the guard needs to know of a rollout's plan to calibrate its test: the fleet (target boxes), the share of it
 * on the new image from each moment of the rollout's life (the waves), and the baseline rate of the signal.
 *
 * @param fleet              boxes in the rollout's target (both cohorts together)
 * @param steps              from {@code at} (since activation) on, {@code newShare} of the fleet runs the new image;
 *                           the first step is at 0, times increase
 * @param baselinePerBoxHour the signal's rate on a healthy box, e.g. 1e-4 complaints per box-hour
 */
public record RolloutPlan(int fleet, List<Step> steps, double baselinePerBoxHour) {

    /** One wave's effect: from {@code at} on, {@code newShare} of the fleet is in the new cohort. */
    public record Step(Duration at, double newShare) {
        public Step {
            if (at == null || at.isNegative() || !(newShare >= 0 && newShare <= 1)) {
                throw new IllegalArgumentException("a step needs a time >= 0 and a share in [0, 1]");
            }
        }
    }

    public RolloutPlan {
        if (fleet < 1) {
            throw new IllegalArgumentException("the fleet must have at least one box");
        }
        steps = List.copyOf(steps);
        if (steps.isEmpty() || !steps.get(0).at().isZero()) {
            throw new IllegalArgumentException("the first step must be at 0");
        }
        for (int i = 1; i < steps.size(); i++) {
            if (steps.get(i).at().compareTo(steps.get(i - 1).at()) <= 0) {
                throw new IllegalArgumentException("step times must increase");
            }
        }
        if (!(baselinePerBoxHour > 0 && baselinePerBoxHour < 1)) {
            throw new IllegalArgumentException("the baseline rate must be in (0, 1) per box-hour");
        }
    }

    /** A canary of constant share for the whole life. */
    public static RolloutPlan canary(int fleet, double share, double baselinePerBoxHour) {
        return new RolloutPlan(fleet, List.of(new Step(Duration.ZERO, share)), baselinePerBoxHour);
    }

    /**
     * The reference scenario of the issue and of ARCHITECTURE.md: 100,000 boxes, a 5,000-box canary held at 5%, a
     * baseline of 1e-4 complaints per box-hour.
     */
    public static RolloutPlan reference() {
        return canary(100_000, 0.05, 1e-4);
    }
}
