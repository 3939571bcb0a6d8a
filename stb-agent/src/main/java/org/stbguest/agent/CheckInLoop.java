package org.stbguest.agent;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * When the box checks in: at the interval the server suggests (unsigned, so clamped to the configured bounds) or the
 * configured default, spread by the jitter so a fleet does not march; after failures, with a growing backoff; and at
 * once when asked ({@link #soon()}), requests made while one is due or running being merged. One check-in runs at a
 * time; {@code once} performs it and returns the delay until the next.
 */
final class CheckInLoop implements AutoCloseable {

    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final AgentConfig config;
    private final AgentRuntime runtime;
    private final LongSupplier once;
    private final Object scheduling = new Object();
    private boolean running;
    private boolean again;
    private boolean closed;
    private ScheduledFuture<?> next;

    CheckInLoop(AgentConfig config, AgentRuntime runtime, LongSupplier once) {
        this.config = config;
        this.runtime = runtime;
        this.once = once;
    }

    /** Asks for a check-in as soon as possible, even when the next one is scheduled far off. */
    void soon() {
        schedule(0);
    }

    @Override
    public void close() {
        synchronized (scheduling) {
            closed = true;
            if (next != null) {
                next.cancel(false);
            }
        }
    }

    /**
     * The interval until the next check-in: what the server suggests or the configured default, clamped to the
     * configured bounds and spread by the jitter.
     */
    long nextInterval(long suggestedMillis) {
        var limits = config.limits();
        long wanted = suggestedMillis > 0 ? suggestedMillis : config.defaultCheckInInterval().toMillis();
        long clamped = Math.max(limits.minCheckIn().toMillis(), Math.min(limits.maxCheckIn().toMillis(), wanted));
        return jitter(clamped);
    }

    /** The delay after {@code failures} failed check-ins in a row: doubling from the interval, at least 30 s cap. */
    long backoff(long failures) {
        long base = Math.max(config.limits().minCheckIn().toMillis(),
                Math.min(config.limits().maxCheckIn().toMillis(), config.defaultCheckInInterval().toMillis()));
        return jitter(Math.min(Math.max(MAX_BACKOFF_MILLIS, base), base * (1L << Math.min(failures, 5))));
    }

    private long jitter(long millis) {
        double spread = config.limits().jitter();
        return Math.max(1, Math.round(millis * (1 + spread * (2 * ThreadLocalRandom.current().nextDouble() - 1))));
    }

    /**
     * Schedules the next check-in {@code delayMillis} from now. An earlier request wins over a later one: asking for
     * a check-in now while the next is an hour away moves it to now (an announcement must not wait for the
     * interval), and asking while one is running makes another follow it at once.
     */
    private void schedule(long delayMillis) {
        synchronized (scheduling) {
            if (closed) {
                return;
            }
            if (running) {
                if (delayMillis == 0) {
                    again = true;
                }
                return;
            }
            ScheduledFuture<?> pending = next;
            if (pending != null && !pending.isDone()) {
                if (pending.getDelay(TimeUnit.MILLISECONDS) <= delayMillis) {
                    return; // one is due sooner already
                }
                pending.cancel(false);
            }
            next = runtime.scheduler().schedule(() -> runtime.workers().execute(this::run), delayMillis,
                    TimeUnit.MILLISECONDS);
        }
    }

    private void run() {
        synchronized (scheduling) {
            if (closed || running) {
                return;
            }
            running = true;
            next = null;
        }
        long nextDelay = config.limits().maxCheckIn().toMillis();
        try {
            nextDelay = once.getAsLong();
        } finally {
            synchronized (scheduling) {
                running = false;
                if (again) {
                    again = false;
                    nextDelay = 0;
                }
            }
            schedule(nextDelay);
        }
    }
}
