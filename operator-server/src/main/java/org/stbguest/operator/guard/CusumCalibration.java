package org.stbguest.operator.guard;

/**
 * Calibrates the CUSUM's threshold for a rollout's plan by A/A simulation of the combined test: the lowest threshold
 * at which at most {@link #TARGET} x alpha of simulated healthy rollouts halt over their guarded life, counting those
 * the SPRT halts (it uses less than its alpha/2 in practice, and the CUSUM gets the rest). The margin below alpha
 * keeps an independent A/A run at or under alpha despite the calibration's own sampling noise. Should the SPRT alone
 * use up the budget, the CUSUM falls back to alpha/2 on its own. A CUSUM left at the SPRT's threshold would halt about 2%
 * of healthy rollouts of the reference scenario within 7 days, twenty times alpha: it is the long life, not one
 * look, that a threshold must answer for.
 */
public final class CusumCalibration {

    /** The share of alpha the calibration aims at. */
    public static final double TARGET = 0.75;

    /** Runs per calibration: 60,000 put 45 runs above the threshold at alpha 0.001. */
    public static final int DEFAULT_RUNS = 60_000;

    private CusumCalibration() {
    }

    /** The threshold for {@code plan} and {@code settings}, from {@code runs} simulated healthy lives. */
    public static double threshold(RolloutPlan plan, GuardSettings settings, int runs, long seed) {
        double sprt = CohortComplaintTest.sprtThreshold(settings.alpha());
        double joint = GuardSimulation.upperQuantile(
                GuardSimulation.jointSamples(plan, settings, sprt, runs, seed), TARGET * settings.alpha());
        if (!Double.isInfinite(joint)) {
            return joint;
        }
        return GuardSimulation.upperQuantile(GuardSimulation.maxCusum(plan, settings, runs, seed), settings.alpha() / 2);
    }
}
