package org.stbguest.operator.rollout;

import java.time.Duration;
import java.util.List;
import org.stbguest.operator.DomainException;

/**
 * How a rollout activates: waves, each a cumulative share of the targets (a percentage) or a count of boxes, with
 * the conditions to move on and the thresholds that halt. Staging goes to every target at once (one multicast serves
 * them all); activation goes wave by wave.
 *
 * @param waves  at least one, growing; the boxes of a wave are those of a stable hash order of (rollout, device)
 *               below its bound, so each wave contains the one before
 * @param window when waves may begin (null: at any time); a rollback is never held back by it
 */
public record WavePlan(List<Wave> waves, MaintenanceWindow window) {

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
     * @param maxCrashShare   share of the wave's boxes that reported a guest crash on the new image that halts the
     *                        rollout, once at least {@code minCrashes} have
     * @param minCrashes      crashing boxes below which no share halts
     */
    public record Wave(Double share, Integer count, Duration minSoak, Double successShare, Double maxFailureShare,
                       Integer minFailures, Double maxCrashShare, Integer minCrashes) {

        public Wave(Double share, Integer count, Duration minSoak, Double successShare, Double maxFailureShare,
                    Integer minFailures) {
            this(share, count, minSoak, successShare, maxFailureShare, minFailures, null, null);
        }

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
            maxCrashShare = maxCrashShare == null ? 0.05 : maxCrashShare;
            minCrashes = minCrashes == null ? 3 : minCrashes;
            if (!(maxCrashShare > 0 && maxCrashShare <= 1) || minCrashes < 1 || minCrashes > 1_000_000) {
                throw DomainException.invalid("invalid-wave", "maxCrashShare must be in (0, 1], minCrashes in 1..10^6");
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

    /**
     * The local hours when a wave may begin, in a time zone: {@code from} to {@code to} ("HH:mm"), across midnight
     * when {@code to} is earlier. The server checks it when a wave is due; the wave's activation then reaches the
     * boxes within minutes over the control group. A manual advance is an operator's explicit choice and ignores it.
     */
    public record MaintenanceWindow(String from, String to, String zone) {

        public MaintenanceWindow {
            try {
                java.time.LocalTime a = java.time.LocalTime.parse(from);
                java.time.LocalTime b = java.time.LocalTime.parse(to);
                java.time.ZoneId.of(zone);
                if (a.equals(b)) {
                    throw DomainException.invalid("invalid-window", "a maintenance window cannot begin where it ends");
                }
            } catch (java.time.DateTimeException | NullPointerException e) {
                throw DomainException.invalid("invalid-window", "a maintenance window needs from and to as HH:mm and "
                        + "a time zone such as Europe/Paris: " + e.getMessage());
            }
        }

        /** Whether {@code now} falls inside the window. */
        public boolean contains(java.time.Instant now) {
            java.time.LocalTime t = now.atZone(java.time.ZoneId.of(zone)).toLocalTime();
            java.time.LocalTime a = java.time.LocalTime.parse(from);
            java.time.LocalTime b = java.time.LocalTime.parse(to);
            return a.isBefore(b) ? !t.isBefore(a) && t.isBefore(b) : !t.isBefore(a) || t.isBefore(b);
        }
    }

    /** A plan with no maintenance window. */
    public WavePlan(List<Wave> waves) {
        this(waves, null);
    }

    /** Whether a wave may begin at {@code now}. */
    public boolean inWindow(java.time.Instant now) {
        return window == null || window.contains(now);
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
