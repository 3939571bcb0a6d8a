package org.stbguest.operator.guard;

/**
 * Calibrates the CUSUM's threshold for a rollout's plan by A/A simulation: the threshold that fewer than alpha/2 of
 * simulated healthy rollouts reach over their guarded life. A CUSUM left at the SPRT's threshold would halt about 2%
 * of healthy rollouts of the reference scenario within 7 days, twenty times alpha: it is the long life, not one
 * look, that a threshold must answer for.
 */
public final class CusumCalibration {

    /** Runs per calibration: 40,000 put 20 runs above the threshold at alpha 0.001. */
    public static final int DEFAULT_RUNS = 40_000;

    private CusumCalibration() {
    }

    /** The threshold for {@code plan} and {@code settings}, from {@code runs} simulated healthy lives. */
    public static double threshold(RolloutPlan plan, GuardSettings settings, int runs, long seed) {
        return GuardSimulation.upperQuantile(GuardSimulation.maxCusum(plan, settings, runs, seed), settings.alpha() / 2);
    }
}
