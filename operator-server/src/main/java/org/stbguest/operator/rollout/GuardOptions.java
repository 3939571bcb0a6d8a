package org.stbguest.operator.rollout;

import java.util.List;
import org.stbguest.operator.DomainException;

/**
 * What a rollout asks of its guard: the false-halt rate it may have over the guarded life ({@code alpha}, shared
 * equally among the signals, so the whole guard stays within it), the worst acceptable ratio of the new cohort's rate
 * to the old one's ({@code r1}), and the signals it watches.
 *
 * @param alpha   null: the server's default ({@code stb.guard.alpha}, 0.001)
 * @param r1      null: the server's default ({@code stb.guard.r1}, 2)
 * @param signals default both: call-center complaints and guest crashes
 */
public record GuardOptions(Double alpha, Double r1, List<Signal> signals) {

    /** What the guard compares between the two cohorts. */
    public enum Signal {
        /** Call-center tickets naming a box, or an account with a box, of the target. */
        COMPLAINTS,
        /** Guest crashes the boxes report, by the image they ran. */
        CRASHES
    }

    /** alpha 0.001, r1 = 2, both signals. */
    public static final GuardOptions DEFAULTS = new GuardOptions(0.001, 2.0, null);

    public GuardOptions {
        signals = signals == null ? List.of(Signal.COMPLAINTS, Signal.CRASHES) : List.copyOf(signals);
        if (alpha != null && !(alpha > 0 && alpha < 0.5)) {
            throw DomainException.invalid("invalid-guard", "alpha must be in (0, 0.5), got " + alpha);
        }
        if (r1 != null && !(r1 > 1 && r1 <= 100)) {
            throw DomainException.invalid("invalid-guard", "r1 must be in (1, 100], got " + r1);
        }
        if (signals.isEmpty() || signals.stream().distinct().count() != signals.size()) {
            throw DomainException.invalid("invalid-guard", "name each signal the guard watches once: "
                    + List.of(Signal.values()));
        }
    }

    /** These options with the server's defaults where they name none. */
    public GuardOptions orDefaults(double defaultAlpha, double defaultR1) {
        return new GuardOptions(alpha == null ? defaultAlpha : alpha, r1 == null ? defaultR1 : r1, signals);
    }

    /** The share of alpha each signal's test may spend: alpha over the number of signals (Bonferroni). */
    public double alphaPerSignal() {
        return alpha / signals.size();
    }
}
