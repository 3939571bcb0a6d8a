import java.time.Duration;
import java.util.List;
import org.stbguest.operator.guard.CohortComplaintTest;
import org.stbguest.operator.guard.CusumCalibration;
import org.stbguest.operator.guard.GuardSettings;
import org.stbguest.operator.guard.GuardSimulation;
import org.stbguest.operator.guard.GuardSimulation.Regression;
import org.stbguest.operator.guard.RolloutPlan;

/**
 * The guard's A/A and power tables on the reference scenario (100,000 boxes, a 5,000-box canary at 5%, 1e-4
 * complaints per box-hour, alpha 0.001, r1 = 2, 7-day lives), our test against a plain SPRT and a CUSUM each
 * calibrated alone to A/A <= alpha in the same run. Arguments: A/A runs, runs per power cell.
 */
public class GuardBench {

    public static void main(String[] args) {
        int aaRuns = Integer.parseInt(args[0]);
        int cellRuns = Integer.parseInt(args[1]);
        GuardSettings s = GuardSettings.DEFAULTS;
        RolloutPlan ref = RolloutPlan.reference();
        long t0 = System.nanoTime();
        double cusum = CusumCalibration.threshold(ref, s, CusumCalibration.DEFAULT_RUNS, 1);
        double sprt = CohortComplaintTest.sprtThreshold(s.alpha());
        // the reference tests, each calibrated alone to alpha over 7 days
        double sprtAlone = GuardSimulation.upperQuantile(GuardSimulation.maxSprt(ref, s, CusumCalibration.DEFAULT_RUNS, 1), s.alpha());
        double cusumAlone = GuardSimulation.upperQuantile(GuardSimulation.maxCusum(ref, s, CusumCalibration.DEFAULT_RUNS, 1), s.alpha());
        System.out.printf("thresholds: ours sprt %.3f (log(2/alpha)) + cusum %.3f (calibrated jointly to 0.75 alpha); plain SPRT alone %.3f; CUSUM alone %.3f; calibration %.1f s%n",
                sprt, cusum, sprtAlone, cusumAlone, (System.nanoTime() - t0) / 1e9);

        System.out.println();
        System.out.println("A/A (no real difference), 7-day lives, halt checked at every complaint (at least every minute):");
        System.out.println("| scenario | runs | false halts | rate | alpha + 3 sigma |");
        System.out.println("|---|---|---|---|---|");
        double aaRate = aa("reference: 5% canary", ref, s, sprt, cusum, aaRuns, 2);
        RolloutPlan waves = new RolloutPlan(100_000, List.of(new RolloutPlan.Step(Duration.ZERO, 0.01),
                new RolloutPlan.Step(Duration.ofHours(24), 0.10), new RolloutPlan.Step(Duration.ofHours(72), 0.50),
                new RolloutPlan.Step(Duration.ofHours(120), 1.0)), 1e-4);
        double wavesCusum = CusumCalibration.threshold(waves, s, CusumCalibration.DEFAULT_RUNS, 3);
        aa("waves 1% / 10% at 24 h / 50% at 72 h / 100% at 120 h", waves, s, sprt, wavesCusum, aaRuns, 4);

        double[] ks = {3, 5, 10, 30};
        double[][] ours = new double[2][4];
        for (int c = 0; c < 2; c++) {
            Duration start = c == 0 ? Duration.ZERO : Duration.ofHours(48);
            System.out.println();
            System.out.println(c == 0 ? "Median detection delay, regression present from activation (hours):"
                    : "Median detection delay, regression starting 48 h after activation, from its start (hours):");
            System.out.println("| multiplier | ours | plain SPRT alone | CUSUM alone | ours / better |");
            System.out.println("|---|---|---|---|---|");
            for (int i = 0; i < ks.length; i++) {
                Regression r = new Regression(ks[i], start);
                long seed = 100 + 10L * c + i;
                double o = GuardSimulation.medianDelay(GuardSimulation.haltDelays(ref, s, r, sprt, cusum, cellRuns, seed));
                double p = GuardSimulation.medianDelay(GuardSimulation.haltDelays(ref, s, r, sprtAlone, Double.MAX_VALUE, cellRuns, seed));
                double q = GuardSimulation.medianDelay(GuardSimulation.haltDelays(ref, s, r, Double.MAX_VALUE, cusumAlone, cellRuns, seed));
                ours[c][i] = o;
                System.out.printf("| %.0fx | %.2f | %.2f | %.2f | %.2f |%n", ks[i], o, p, q, o / Math.min(p, q));
            }
        }
        System.out.printf("guard: aa_runs=%d aa_false_halt_rate=%.5f alpha=%s delay_3x_h=%.2f delay_5x_h=%.2f delay_10x_h=%.2f delay_30x_h=%.2f late_3x_h=%.2f late_5x_h=%.2f late_10x_h=%.2f late_30x_h=%.2f%n",
                aaRuns, aaRate, s.alpha(), ours[0][0], ours[0][1], ours[0][2], ours[0][3], ours[1][0], ours[1][1], ours[1][2], ours[1][3]);
    }

    private static double aa(String name, RolloutPlan plan, GuardSettings s, double sprt, double cusum, int runs, long seed) {
        double rate = GuardSimulation.haltRate(GuardSimulation.haltDelays(plan, s, Regression.NONE, sprt, cusum, runs, seed));
        System.out.printf("| %s | %d | %d | %.5f | %.5f |%n", name, runs, Math.round(rate * runs), rate,
                s.alpha() + 3 * Math.sqrt(s.alpha() * (1 - s.alpha()) / runs));
        return rate;
    }
}
