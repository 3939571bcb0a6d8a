package org.stbguest.operator.guard;

/**
 * The guard's sequential test of one signal (complaints, crashes) of one rollout: each event is a trial "did it come
 * from the new cohort?", whose probability is p0 = E_new / (E_new + E_old) when the new image is no worse (E: the
 * cohorts' exposure rates in box-hours when it happened) and p1 = r1 p0 / (r1 p0 + 1 - p0) when it is r1 times worse.
 * Two statistics sum the events' log-likelihood ratios, and the test halts when either crosses its threshold:
 * <ul>
 *   <li>the <b>SPRT</b>, the plain sum since activation, against {@code log(2 / alpha)}: its likelihood ratio is a
 *       martingale under "no worse", so by Ville's inequality it crosses with probability at most alpha/2 however
 *       long and however often it is looked at;</li>
 *   <li>the <b>CUSUM</b>, the same sum floored at 0, so a regression that starts late (a leak, a date bug) is caught as
 *       fast as one present from activation; its threshold is calibrated by A/A simulation of the rollout's plan so
 *       that the two together halt at most alpha of healthy rollouts over their guarded life ({@link CusumCalibration}).</li>
 * </ul>
 * The SPRT is the faster of the two for a regression present from activation, the CUSUM for one that starts late;
 * together, the SPRT at half the alpha and the CUSUM at what is left of it, they stay within 1.2 times the better of the two in every case
 * measured (see {@code bench/guard}). Not thread-safe; one instance per rollout and signal.
 */
public final class CohortComplaintTest {

    /** What the test decided after an observation. */
    public enum Decision { CONTINUE, HALT }

    private final double r1;
    private final double sprtThreshold;
    private final double cusumThreshold;
    private double sprt;
    private double cusum;
    private long fromNew;
    private long fromOld;

    /**
     * @param cusumThreshold the CUSUM's threshold, calibrated for alpha/2 over the guarded life
     */
    public CohortComplaintTest(GuardSettings settings, double cusumThreshold) {
        if (!(cusumThreshold > 0) || Double.isInfinite(cusumThreshold)) {
            throw new IllegalArgumentException("the CUSUM threshold must be a positive number");
        }
        this.r1 = settings.r1();
        this.sprtThreshold = sprtThreshold(settings.alpha());
        this.cusumThreshold = cusumThreshold;
    }

    /** A test carried on from stored state (the guard evaluates every minute and keeps its sums in the database). */
    public static CohortComplaintTest restore(GuardSettings settings, double cusumThreshold, double sprt,
                                              double cusum, long fromNew, long fromOld) {
        CohortComplaintTest t = new CohortComplaintTest(settings, cusumThreshold);
        t.sprt = sprt;
        t.cusum = cusum;
        t.fromNew = fromNew;
        t.fromOld = fromOld;
        return t;
    }

    /** The SPRT's threshold for a test of level alpha split evenly with the CUSUM: log(2 / alpha). */
    public static double sprtThreshold(double alpha) {
        return Math.log(2 / alpha);
    }

    /**
     * One event. {@code p0} is the new cohort's share of the exposure when it happened; an event while either cohort
     * is empty ({@code p0} 0 or 1) says nothing about the difference and is counted only.
     */
    public Decision observe(boolean fromNewCohort, double p0) {
        if (fromNewCohort) {
            fromNew++;
        } else {
            fromOld++;
        }
        if (p0 > 0 && p0 < 1) {
            double llr = logLikelihoodRatio(fromNewCohort, p0, r1);
            sprt += llr;
            cusum = Math.max(0, cusum + llr);
        }
        return decision();
    }

    /** The log-likelihood ratio of one event, "r1 times worse" against "no worse". */
    static double logLikelihoodRatio(boolean fromNewCohort, double p0, double r1) {
        double p1 = r1 * p0 / (r1 * p0 + 1 - p0);
        return fromNewCohort ? Math.log(p1 / p0) : Math.log1p(-p1) - Math.log1p(-p0);
    }

    public Decision decision() {
        return sprt >= sprtThreshold || cusum >= cusumThreshold ? Decision.HALT : Decision.CONTINUE;
    }

    public double sprt() {
        return sprt;
    }

    public double cusum() {
        return cusum;
    }

    public double sprtThreshold() {
        return sprtThreshold;
    }

    public double cusumThreshold() {
        return cusumThreshold;
    }

    public long fromNew() {
        return fromNew;
    }

    public long fromOld() {
        return fromOld;
    }
}
