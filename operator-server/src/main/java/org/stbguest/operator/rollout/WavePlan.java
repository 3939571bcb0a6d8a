package org.stbguest.operator.rollout;

import java.time.Duration;
import java.util.List;
import org.stbguest.operator.DomainException;

/**
 * How a rollout activates: waves, each a cumulative share of the targets (a percentage) or a count of boxes, with
 * the conditions to move on and the thresholds that halt. Staging goes to every target at once (one multicast serves
 * them all); activation goes wave by wave.
 *
 * @param waves at least one, growing; the boxes of a wave are those of a stable hash order of (rollout, device)
 *              below its bound, so each wave contains the one before
 */
public record WavePlan(List<Wave> waves) {

    /** The most waves a plan may have. */
    public static final int MAX_WAVES = 20;

    /**
     * One wave.
     *
     * @param share           cumulative share of the targets, in (0, 1]; or null when {@code count} is given
     * @param count           cumulative number of boxes; or null when {@code share} is given
     * @param minSoak         how long the wave runs before the next may start, however well it goes
     * @param successShare    share of the wave's boxes that must run the image committed to move on
     * @param maxFailureShare share of the wave's boxes whose install or trial boot failed that halts the rollout,
     *                        once at least {@code minFailures} have
     * @param minFailures     failures below which no share halts (two failures of twenty boxes are noise)
     */
    public record Wave(Double share, Integer count, Duration minSoak, Double successShare, Double maxFailureShare,
                       Integer minFailures) {

        public Wave {
            if ((share == null) == (count == null)) {
                throw DomainException.invalid("invalid-wave", "a wave has either a share or a count");
            }
            if (share != null && !(share > 0 && share <= 1)) {
                throw DomainException.invalid("invalid-wave", "a wave's share must be in (0, 1], got " + share);
            }
            if (count != null && (count < 1 || count > 100_000_000)) {
                throw DomainException.invalid("invalid-wave", "a wave's count must be in 1..10^8, got " + count);
            }
            minSoak = minSoak == null ? Duration.ZERO : minSoak;
            if (minSoak.isNegative() || minSoak.compareTo(Duration.ofDays(30)) > 0) {
                throw DomainException.invalid("invalid-wave", "a wave's soak must be in 0..30 days");
            }
            successShare = successShare == null ? 0.95 : successShare;
            maxFailureShare = maxFailureShare == null ? 0.05 : maxFailureShare;
            minFailures = minFailures == null ? 3 : minFailures;
            if (!(successShare > 0 && successShare <= 1) || !(maxFailureShare > 0 && maxFailureShare <= 1)
                    || minFailures < 1 || minFailures > 1_000_000) {
                throw DomainException.invalid("invalid-wave", "successShare and maxFailureShare must be in (0, 1], "
                        + "minFailures in 1..10^6");
            }
        }

        /** A wave of {@code share} of the targets with the default conditions. */
        public static Wave ofShare(double share, Duration minSoak) {
            return new Wave(share, null, minSoak, null, null, null);
        }

        /** How many of {@code targets} boxes this wave takes (cumulatively). */
        long size(long targets) {
            return share != null ? (long) Math.ceil(share * targets - 1e-9) : Math.min(count, targets);
        }
    }

    public WavePlan {
        if (waves == null || waves.isEmpty() || waves.size() > MAX_WAVES) {
            throw DomainException.invalid("invalid-wave-plan", "a plan has 1 to " + MAX_WAVES + " waves");
        }
        waves = List.copyOf(waves);
        for (int i = 1; i < waves.size(); i++) {
            Wave a = waves.get(i - 1);
            Wave b = waves.get(i);
            boolean grows = a.share() != null && b.share() != null ? b.share() > a.share()
                    : a.count() != null && b.count() != null ? b.count() > a.count()
                    : a.count() != null; // a count may be followed by a share, not the other way round
            if (!grows) {
                throw DomainException.invalid("invalid-wave-plan", "waves must grow: wave " + (i + 1)
                        + " is not larger than wave " + i);
            }
        }
    }

    /** One wave of every target: what a rollout without a plan does. */
    public static WavePlan allAtOnce() {
        return new WavePlan(List.of(Wave.ofShare(1.0, Duration.ZERO)));
    }

    /** Waves of these shares, each soaking {@code soak}. */
    public static WavePlan shares(Duration soak, double... shares) {
        return new WavePlan(java.util.Arrays.stream(shares).mapToObj(s -> Wave.ofShare(s, soak)).toList());
    }

    public int size() {
        return waves.size();
    }

    public Wave wave(int index) {
        return waves.get(index);
    }
}
