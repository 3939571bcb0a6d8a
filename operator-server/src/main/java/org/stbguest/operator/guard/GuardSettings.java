package org.stbguest.operator.guard;

import java.time.Duration;

/**
 * What an operator sets for a rollout's guard.
 *
 * @param alpha the largest share of healthy rollouts the guard may halt over {@code life} (default 0.001)
 * @param r1    the worst acceptable ratio of the new cohort's complaint rate to the old cohort's (default 2): the
 *              test weighs "no worse" against "r1 times worse"
 * @param life  how long a rollout is watched; the false-halt rate is held to alpha over this whole span
 */
public record GuardSettings(double alpha, double r1, Duration life) {

    /** alpha 0.001, r1 = 2, seven days. */
    public static final GuardSettings DEFAULTS = new GuardSettings(0.001, 2, Duration.ofDays(7));

    public GuardSettings {
        if (!(alpha > 0 && alpha < 0.5)) {
            throw new IllegalArgumentException("alpha must be in (0, 0.5), got " + alpha);
        }
        if (!(r1 > 1 && r1 <= 100)) {
            throw new IllegalArgumentException("r1 must be in (1, 100], got " + r1);
        }
        if (life == null || life.isNegative() || life.isZero() || life.compareTo(Duration.ofDays(365)) > 0) {
            throw new IllegalArgumentException("the guarded life must be in (0, 365 days]");
        }
    }
}
