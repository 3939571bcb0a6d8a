package org.stbguest.operator.guard;

import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Simulates a rollout's life as the guard sees it: events (complaints) arrive as a Poisson process from each cohort
 * at the baseline rate per box, times a regression's multiplier for the new cohort once it has started; each event is
 * handed to the guard's own test ({@link CohortComplaintTest}) with the exposure share of its moment. Used to
 * calibrate the CUSUM ({@link CusumCalibration}), to check the false-halt rate (A/A: no real difference) and to
 * measure detection delays (power). Runs are independent and seeded by index, so results do not depend on the
 * number of threads.
 */
public final class GuardSimulation {

    /** A regression of the new image: its signal rate is {@code multiplier} times the baseline from {@code start}. */
    public record Regression(double multiplier, Duration start) {
        /** No regression at all (an A/A run). */
        public static final Regression NONE = new Regression(1, Duration.ZERO);
    }

    private GuardSimulation() {
    }

    /** Per run, the largest value the CUSUM reaches over a healthy life (nothing halts), for calibration. */
    public static double[] maxCusum(RolloutPlan plan, GuardSettings settings, int runs, long seed) {
        return maxStatistic(plan, settings, runs, seed, true);
    }

    /**
     * Per healthy run, the largest value the CUSUM reaches, or {@link Double#POSITIVE_INFINITY} for a run in which
     * the SPRT crosses {@code sprtThreshold} (that run halts whatever the CUSUM's threshold): the samples from which
     * the CUSUM's threshold of the combined test is chosen.
     */
    public static double[] jointSamples(RolloutPlan plan, GuardSettings settings, double sprtThreshold, int runs,
                                        long seed) {
        return maxima(plan, settings, runs, seed, CohortComplaintTest::cusum, sprtThreshold);
    }

    /** Per run, the largest value the plain SPRT reaches over a healthy life (for comparisons). */
    public static double[] maxSprt(RolloutPlan plan, GuardSettings settings, int runs, long seed) {
        return maxStatistic(plan, settings, runs, seed, false);
    }

    private static double[] maxStatistic(RolloutPlan plan, GuardSettings settings, int runs, long seed,
                                         boolean cusum) {
        return maxima(plan, settings, runs, seed, cusum ? CohortComplaintTest::cusum : CohortComplaintTest::sprt,
                Double.POSITIVE_INFINITY);
    }

    /**
     * Per healthy run, the largest value {@code statistic} reaches; a run in which the SPRT reaches {@code sprtStop}
     * ends there with {@link Double#POSITIVE_INFINITY}.
     */
    private static double[] maxima(RolloutPlan plan, GuardSettings settings, int runs, long seed,
                                   java.util.function.ToDoubleFunction<CohortComplaintTest> statistic, double sprtStop) {
        return IntStream.range(0, runs).parallel().mapToDouble(i -> {
            var test = new CohortComplaintTest(settings, Double.MAX_VALUE);
            double[] max = {0};
            simulate(plan, settings, Regression.NONE, random(seed, i), (fromNew, p0, hours) -> {
                test.observe(fromNew, p0);
                max[0] = Math.max(max[0], statistic.applyAsDouble(test));
                if (test.sprt() >= sprtStop) {
                    max[0] = Double.POSITIVE_INFINITY;
                    return true;
                }
                return false;
            });
            return max[0];
        }).toArray();
    }

    /** The value that at most {@code share} of {@code maxima} exceed (an empirical upper quantile). */
    public static double upperQuantile(double[] maxima, double share) {
        double[] m = maxima.clone();
        Arrays.sort(m);
        int above = (int) Math.floor(m.length * share);
        if (above < 1) {
            throw new IllegalArgumentException(m.length + " runs cannot resolve a share of " + share);
        }
        return Math.nextUp(Math.max(m[m.length - above - 1], 1e-9));
    }

    /**
     * Runs {@code runs} lives with the given thresholds and returns, per run, the hours from the regression's start
     * to the guard's halt (rounded up to the next whole minute, as the guard evaluates every minute);
     * {@link Double#POSITIVE_INFINITY} when it never halted within the life, a negative number when it halted before
     * the regression began (a false halt).
     */
    public static double[] haltDelays(RolloutPlan plan, GuardSettings settings, Regression regression,
                                      double sprtThreshold, double cusumThreshold, int runs, long seed) {
        double startHours = regression.start().toMillis() / 3_600_000.0;
        return IntStream.range(0, runs).parallel().mapToDouble(i -> {
            var test = new CohortComplaintTest(settings, cusumThreshold);
            double[] halt = {Double.POSITIVE_INFINITY};
            simulate(plan, settings, regression, random(seed, i), (fromNew, p0, hours) -> {
                test.observe(fromNew, p0);
                if (test.sprt() >= sprtThreshold || test.cusum() >= cusumThreshold) {
                    halt[0] = Math.ceil(hours * 60) / 60;
                    return true;
                }
                return false;
            });
            return halt[0] - startHours;
        }).toArray();
    }

    /** The share of runs that halted at all (for an A/A run: the false-halt rate). */
    public static double haltRate(double[] delays) {
        return Arrays.stream(delays).filter(d -> d != Double.POSITIVE_INFINITY).count() / (double) delays.length;
    }

    /** The median of the delays of runs that halted after the regression began. */
    public static double medianDelay(double[] delays) {
        double[] d = Arrays.stream(delays).filter(x -> x >= 0).sorted().toArray();
        if (d.length == 0) {
            return Double.NaN;
        }
        return d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
    }

    /** Receives one event; returns true to end the life there. */
    @FunctionalInterface
    interface EventSink {
        boolean event(boolean fromNew, double p0, double hours);
    }

    /** One life: segments of constant cohort sizes and multiplier, Poisson arrivals within each. */
    static void simulate(RolloutPlan plan, GuardSettings settings, Regression regression, SplittableRandom random,
                         EventSink sink) {
        double life = settings.life().toMillis() / 3_600_000.0;
        double regressionStart = regression.start().toMillis() / 3_600_000.0;
        var steps = plan.steps();
        double t = 0;
        int step = 0;
        while (t < life) {
            double share = steps.get(step).newShare();
            double end = step + 1 < steps.size() ? Math.min(life, hours(steps.get(step + 1).at())) : life;
            boolean regressed = t >= regressionStart;
            if (!regressed && regressionStart < end) {
                end = regressionStart;
            }
            double newBoxes = share * plan.fleet();
            double oldBoxes = plan.fleet() - newBoxes;
            double multiplier = regressed ? regression.multiplier() : 1;
            double newRate = plan.baselinePerBoxHour() * multiplier * newBoxes;
            double total = newRate + plan.baselinePerBoxHour() * oldBoxes;
            double pNew = newRate / total;
            double p0 = newBoxes / plan.fleet();
            double now = t;
            while (total > 0) {
                now += -Math.log(1 - random.nextDouble()) / total;
                if (now >= end) {
                    break;
                }
                if (sink.event(random.nextDouble() < pNew, p0, now)) {
                    return;
                }
            }
            t = end;
            if (step + 1 < steps.size() && t >= hours(steps.get(step + 1).at())) {
                step++;
            }
        }
    }

    private static double hours(Duration d) {
        return d.toMillis() / 3_600_000.0;
    }

    private static SplittableRandom random(long seed, int run) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + run * 0xBF58476D1CE4E5B9L + run);
    }
}
