package org.stbguest.operator.guard;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.operator.StbProperties;
import org.stbguest.operator.device.DeviceService;
import org.stbguest.operator.rollout.RolloutService;
import org.stbguest.operator.rollout.RolloutService.GuardCandidate;
import org.stbguest.operator.rollout.GuardOptions.Signal;
import org.stbguest.operator.rollout.WavePlan;
import org.stbguest.operator.telemetry.TelemetryService;

/**
 * The rollback guard: every {@code stb.guard.interval} it weighs, for each live rollout and each signal it watches
 * (call-center complaints, guest crashes), the events from boxes on the new image against those from boxes still on
 * the old one, each cohort's exposure counted in box-hours as boxes move between them ({@link CohortComplaintTest}).
 * Each signal's test spends an equal share of the rollout's alpha, so the whole guard's false-halt rate stays within
 * it. The CUSUM's threshold is calibrated once per rollout and signal, at its first evaluation, by A/A simulation of
 * the wave plan at that signal's baseline rate ({@link CusumCalibration}). Every evaluation is stored with its
 * numbers; a breach (or the rollout's hard cap on complaints from the new cohort) halts the rollout, which rolls it
 * back. State lives in the database, so a restart carries on where it was.
 */
@Service
public class SequentialGuard {

    private static final Logger log = LoggerFactory.getLogger(SequentialGuard.class);

    /** One stored evaluation of one signal, as {@code GET /api/rollouts/{id}/guard} shows it. */
    public record Evaluation(String signal, Instant at, long boxesNew, long boxesOld, long eventsNew, long eventsOld,
                             double exposureNew, double exposureOld, Double p0, double sprt, double cusum,
                             double sprtThreshold, double cusumThreshold, String decision) {
    }

    /**
     * A rollout's guard: its settings, each signal's baseline rate (per box-hour, once calibrated), and the series of
     * its evaluations, every signal's in order.
     */
    public record Series(long rolloutId, double alpha, double r1, Duration life, List<Signal> signals,
                         Double baselinePerBoxHour, java.util.Map<Signal, Double> baselines,
                         List<Evaluation> evaluations) {
    }

    private final RolloutService rollouts;
    private final TelemetryService telemetry;
    private final DeviceService devices;
    private final JdbcClient jdbc;
    private final StbProperties.Guard config;
    private final Clock clock;

    private final org.stbguest.operator.db.Leadership leadership;
    private final io.micrometer.core.instrument.MeterRegistry meters;

    SequentialGuard(RolloutService rollouts, TelemetryService telemetry, DeviceService devices, JdbcClient jdbc,
                    StbProperties props, Clock clock, org.stbguest.operator.db.Leadership leadership,
                    io.micrometer.core.instrument.MeterRegistry meters) {
        this.meters = meters;
        this.leadership = leadership;
        this.rollouts = rollouts;
        this.telemetry = telemetry;
        this.devices = devices;
        this.jdbc = jdbc;
        this.config = props.guard();
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${stb.guard.interval:60s}")
    void evaluateAll() {
        if (!leadership.isLeader()) {
            return; // another instance evaluates
        }
        for (GuardCandidate c : rollouts.guardCandidates()) {
            try {
                evaluate(c);
            } catch (RuntimeException e) {
                log.warn("event=guard_failed rollout={} error={}", c.rolloutId(), e.toString());
            }
        }
    }

    /** The settings of one signal's test: its share of the rollout's alpha, the rollout's r1, the guarded life. */
    private GuardSettings settings(GuardCandidate c) {
        return new GuardSettings(c.guard().alphaPerSignal(), c.guard().r1(), config.life());
    }

    /** One evaluation of every signal of one rollout; halts it on a breach of any. */
    @Transactional
    public CohortComplaintTest.Decision evaluate(GuardCandidate c) {
        Instant now = clock.instant();
        long boxesNew = devices.countRunning(c.role(), c.image(), c.target());
        long boxesOld = c.previous() == null ? 0 : devices.countRunning(c.role(), c.previous(), c.target());
        for (Signal signal : c.guard().signals()) {
            String reason = evaluate(c, signal, boxesNew, boxesOld, now);
            if (reason != null) {
                log.warn("event=guard_breach rollout={} signal={} reason=\"{}\"", c.rolloutId(), signal, reason);
                rollouts.halt(c.rolloutId(), reason, "guard");
                return CohortComplaintTest.Decision.HALT;
            }
        }
        return CohortComplaintTest.Decision.CONTINUE;
    }

    /** One signal's evaluation; the halt reason on a breach, else null. */
    private String evaluate(GuardCandidate c, Signal signal, long boxesNew, long boxesOld, Instant now) {
        GuardSettings settings = settings(c);
        State s = load(c.rolloutId(), signal).orElseGet(() -> start(c, signal, settings, now));
        double hours = Math.max(0, Duration.between(s.lastEvaluatedAt, now).toMillis() / 3_600_000.0);
        double dNew = boxesNew * hours;
        double dOld = boxesOld * hours;
        Double p0 = dNew + dOld > 0 ? dNew / (dNew + dOld)
                : boxesNew + boxesOld > 0 ? (double) boxesNew / (boxesNew + boxesOld) : null;
        var events = signal == Signal.COMPLAINTS
                ? telemetry.ticketsAfter(s.lastEventId, c.role(), c.image(), c.previous(), c.target())
                : telemetry.crashesAfter(s.lastEventId, c.role(), c.image(), c.previous(), c.target());
        var test = CohortComplaintTest.restore(settings, s.cusumThreshold, s.sprt, s.cusum, s.eventsNew, s.eventsOld);
        // the interval's events in an even interleaving of the two cohorts, checking after each
        long n = events.fromNew() + events.fromOld();
        long k = events.fromNew();
        for (long i = 1; i <= n && test.decision() == CohortComplaintTest.Decision.CONTINUE; i++) {
            // the i-th event is from the new cohort when floor(i k / n) steps up: k of n, spread evenly
            boolean fromNew = i * k / n > (i - 1) * k / n;
            test.observe(fromNew, p0 == null ? 0 : p0);
        }
        boolean cap = signal == Signal.COMPLAINTS && test.fromNew() >= c.complaintThreshold();
        var decision = cap ? CohortComplaintTest.Decision.HALT : test.decision();
        s = new State(s.sprtThreshold, s.cusumThreshold, s.baseline, test.sprt(), test.cusum(), test.fromNew(),
                test.fromOld(), s.exposureNew + dNew, s.exposureOld + dOld, events.lastId(), now);
        save(c.rolloutId(), signal, s);
        jdbc.sql("""
                        insert into guard_evaluation (rollout_id, signal, evaluated_at, boxes_new, boxes_old,
                            events_new, events_old, exposure_new, exposure_old, p0, sprt, cusum, sprt_threshold,
                            cusum_threshold, decision)
                        values (:id, :signal, :at, :bn, :bo, :en, :eo, :xn, :xo, :p0, :sprt, :cusum, :hs, :hc, :d)""")
                .param("id", c.rolloutId()).param("signal", signal.name()).param("at", java.sql.Timestamp.from(now))
                .param("bn", boxesNew).param("bo", boxesOld).param("en", s.eventsNew).param("eo", s.eventsOld)
                .param("xn", s.exposureNew).param("xo", s.exposureOld).param("p0", p0).param("sprt", s.sprt)
                .param("cusum", s.cusum).param("hs", s.sprtThreshold).param("hc", s.cusumThreshold)
                .param("d", decision.name()).update();
        log.debug("event=guard_evaluated rollout={} signal={} new={} old={} events_new={} events_old={} p0={} sprt={} "
                + "cusum={}", c.rolloutId(), signal, boxesNew, boxesOld, s.eventsNew, s.eventsOld, p0, s.sprt, s.cusum);
        meters.counter("stb.guard.evaluations", "signal", signal.name(), "decision", decision.name()).increment();
        if (decision != CohortComplaintTest.Decision.HALT) {
            return null;
        }
        String what = signal == Signal.COMPLAINTS ? "complaints" : "guest crashes";
        return cap
                ? String.format("guard: %d complaints from boxes on image %s reached the cap of %d", s.eventsNew,
                        c.image().shortHex(), c.complaintThreshold())
                : String.format("guard: %s from boxes on image %s against the old image: %d to %d over "
                        + "%.1f and %.1f box-hours; SPRT %.2f (threshold %.2f), CUSUM %.2f (threshold %.2f)",
                        what, c.image().shortHex(), s.eventsNew, s.eventsOld, s.exposureNew, s.exposureOld, s.sprt,
                        s.sprtThreshold, s.cusum, s.cusumThreshold);
    }

    /** The stored series of a rollout's guard (empty evaluations before its first). */
    @Transactional(readOnly = true)
    public Series series(long rolloutId) {
        var rollout = rollouts.get(rolloutId); // 404 for an unknown rollout
        var evaluations = jdbc.sql("""
                        select signal, evaluated_at, boxes_new, boxes_old, events_new, events_old, exposure_new,
                               exposure_old, p0, sprt, cusum, sprt_threshold, cusum_threshold, decision
                        from guard_evaluation where rollout_id = :id order by id limit 20000""")
                .param("id", rolloutId)
                .query((rs, i) -> new Evaluation(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getLong(3),
                        rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getDouble(7), rs.getDouble(8),
                        rs.getObject(9) == null ? null : rs.getDouble(9), rs.getDouble(10), rs.getDouble(11),
                        rs.getDouble(12), rs.getDouble(13), rs.getString(14))).list();
        java.util.Map<Signal, Double> baselines = new java.util.EnumMap<>(Signal.class);
        for (Signal signal : rollout.guard().signals()) {
            load(rolloutId, signal).ifPresent(st -> baselines.put(signal, st.baseline));
        }
        return new Series(rolloutId, rollout.guard().alpha(), rollout.guard().r1(), config.life(),
                rollout.guard().signals(), baselines.get(Signal.COMPLAINTS), baselines, evaluations);
    }

    /**
     * First evaluation of a signal: calibrate the CUSUM for this rollout's plan at the signal's baseline rate (the
     * configured floor, or the rate observed over the last week if higher) and start counting events from now.
     */
    private State start(GuardCandidate c, Signal signal, GuardSettings settings, Instant now) {
        long targets = devices.countTargets(c.target());
        double observed = signal == Signal.COMPLAINTS ? telemetry.observedRate(Duration.ofDays(7), targets)
                : telemetry.observedCrashRate(Duration.ofDays(7), targets);
        double baseline = Math.max(config.baselinePerBoxHour(), observed);
        RolloutPlan plan = planOf(c.plan(), (int) Math.max(1, Math.min(Integer.MAX_VALUE, targets)),
                Math.min(0.5, baseline));
        long t0 = System.nanoTime();
        double sprt = CohortComplaintTest.sprtThreshold(settings.alpha());
        // never below the SPRT's: with few expected events a calibrated CUSUM would halt on a single complaint, and
        // the calibration's baseline is an assumption
        double cusum = Math.max(sprt, CusumCalibration.threshold(plan, settings, config.calibrationRuns(),
                c.rolloutId() * 31 + signal.ordinal()));
        log.info("event=guard_calibrated rollout={} signal={} targets={} baseline_per_box_hour={} sprt_threshold={} "
                + "cusum_threshold={} ms={}", c.rolloutId(), signal, targets, baseline, sprt, cusum,
                (System.nanoTime() - t0) / 1_000_000);
        long from = signal == Signal.COMPLAINTS ? telemetry.lastTicketId() : telemetry.lastEventId();
        State s = new State(sprt, cusum, baseline, 0, 0, 0, 0, 0, 0, from, now);
        jdbc.sql("""
                        insert into guard_state (rollout_id, signal, sprt_threshold, cusum_threshold, baseline, sprt,
                            cusum, events_new, events_old, exposure_new, exposure_old, last_event_id, last_evaluated_at)
                        values (:id, :signal, :hs, :hc, :b, 0, 0, 0, 0, 0, 0, :t, :at)""")
                .param("id", c.rolloutId()).param("signal", signal.name()).param("hs", sprt).param("hc", cusum)
                .param("b", baseline).param("t", s.lastEventId).param("at", java.sql.Timestamp.from(now)).update();
        return s;
    }

    /** The calibration's picture of a plan: wave i begins when the soaks before it have passed. */
    static RolloutPlan planOf(WavePlan waves, int targets, double baseline) {
        List<RolloutPlan.Step> steps = new ArrayList<>();
        Duration at = Duration.ZERO;
        double last = -1;
        for (int i = 0; i < waves.size(); i++) {
            var w = waves.wave(i);
            double share = w.share() != null ? w.share() : Math.min(1.0, (double) w.count() / targets);
            if (share > last) {
                steps.add(new RolloutPlan.Step(at, share));
                last = share;
            }
            at = at.plus(w.minSoak().isZero() ? Duration.ofMinutes(1) : w.minSoak());
        }
        return new RolloutPlan(targets, steps, baseline);
    }

    private record State(double sprtThreshold, double cusumThreshold, double baseline, double sprt, double cusum,
                         long eventsNew, long eventsOld, double exposureNew, double exposureOld, long lastEventId,
                         Instant lastEvaluatedAt) {
    }

    private Optional<State> load(long rolloutId, Signal signal) {
        return jdbc.sql("""
                        select sprt_threshold, cusum_threshold, baseline, sprt, cusum, events_new, events_old,
                               exposure_new, exposure_old, last_event_id, last_evaluated_at
                        from guard_state where rollout_id = :id and signal = :signal""").param("id", rolloutId)
                .param("signal", signal.name())
                .query((rs, i) -> new State(rs.getDouble(1), rs.getDouble(2), rs.getDouble(3), rs.getDouble(4),
                        rs.getDouble(5), rs.getLong(6), rs.getLong(7), rs.getDouble(8), rs.getDouble(9),
                        rs.getLong(10), rs.getTimestamp(11).toInstant())).optional();
    }

    private void save(long rolloutId, Signal signal, State s) {
        jdbc.sql("""
                        update guard_state set sprt = :sprt, cusum = :cusum, events_new = :en, events_old = :eo,
                            exposure_new = :xn, exposure_old = :xo, last_event_id = :t, last_evaluated_at = :at
                        where rollout_id = :id and signal = :signal""").param("signal", signal.name())
                .param("sprt", s.sprt).param("cusum", s.cusum).param("en", s.eventsNew).param("eo", s.eventsOld)
                .param("xn", s.exposureNew).param("xo", s.exposureOld).param("t", s.lastEventId)
                .param("at", java.sql.Timestamp.from(s.lastEvaluatedAt)).param("id", rolloutId).update();
    }
}
