package org.stbguest.operator.guard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Service;
import org.stbguest.operator.DomainException;

/**
 * Sizes a canary before a rollout: for a fleet, a canary share, a baseline complaint rate, alpha and r1, how long the
 * guard would take to detect a k-times regression (median, by simulation of the guard's own test with its CUSUM
 * calibrated for that plan) and how many subscriber-hours the canary is exposed to it meanwhile. A larger canary
 * detects sooner but exposes more subscribers; the console shows the trade.
 */
@Service
public class CanaryPlanner {

    /** One regression multiplier's expected cost. */
    public record Row(double multiplier, double medianHoursToDetect, double subscriberHoursExposed) {
    }

    /** The plan's figures. */
    public record Plan(int targets, double canaryShare, long canaryBoxes, double baselinePerBoxHour, double alpha,
                       double r1, double sprtThreshold, double cusumThreshold, List<Row> rows) {
    }

    /** The regressions a plan is sized against. */
    static final double[] MULTIPLIERS = {2, 3, 5, 10};
    /** Planning uses fewer simulated lives than a rollout's own calibration: it is an estimate. */
    static final int CALIBRATION_RUNS = 8_000;
    static final int RUNS_PER_ROW = 401;
    /** Above this many expected complaints per guarded life a simulation would take too long for a request. */
    static final double MAX_EVENTS_PER_LIFE = 200_000;

    private final Map<String, Plan> cache = new ConcurrentHashMap<>();

    public Plan plan(int targets, double canaryShare, double baselinePerBoxHour, double alpha, double r1) {
        if (targets < 2 || targets > 100_000_000) {
            throw DomainException.invalid("invalid-plan", "targets must be in 2..10^8");
        }
        if (!(canaryShare > 0 && canaryShare < 1)) {
            throw DomainException.invalid("invalid-plan", "the canary share must be in (0, 1)");
        }
        if (!(baselinePerBoxHour > 0 && baselinePerBoxHour <= 0.01)) {
            throw DomainException.invalid("invalid-plan", "the baseline must be in (0, 0.01] complaints per box-hour");
        }
        GuardSettings settings;
        try {
            settings = new GuardSettings(alpha, r1, Duration.ofDays(7));
        } catch (IllegalArgumentException e) {
            throw DomainException.invalid("invalid-plan", e.getMessage());
        }
        double events = targets * baselinePerBoxHour * 168;
        if (events > MAX_EVENTS_PER_LIFE) {
            throw DomainException.invalid("plan-too-large", String.format("%.0f expected complaints per 7 days is "
                    + "more than this planner simulates (%.0f)", events, MAX_EVENTS_PER_LIFE));
        }
        String key = targets + "/" + canaryShare + "/" + baselinePerBoxHour + "/" + alpha + "/" + r1;
        if (cache.size() > 256) {
            cache.clear();
        }
        return cache.computeIfAbsent(key, k -> compute(targets, canaryShare, baselinePerBoxHour, settings));
    }

    private static Plan compute(int targets, double share, double baseline, GuardSettings settings) {
        RolloutPlan plan = RolloutPlan.canary(targets, share, baseline);
        double sprt = CohortComplaintTest.sprtThreshold(settings.alpha());
        double cusum = Math.max(sprt, CusumCalibration.threshold(plan, settings, CALIBRATION_RUNS, 1));
        long canary = Math.round(share * targets);
        List<Row> rows = new ArrayList<>();
        for (double k : MULTIPLIERS) {
            double median = GuardSimulation.medianDelay(GuardSimulation.haltDelays(plan, settings,
                    new GuardSimulation.Regression(k, Duration.ZERO), sprt, cusum, RUNS_PER_ROW, 7));
            rows.add(new Row(k, median, Double.isNaN(median) ? Double.NaN : median * canary));
        }
        return new Plan(targets, share, canary, baseline, settings.alpha(), settings.r1(), sprt, cusum, rows);
    }
}
