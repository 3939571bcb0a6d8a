package org.stbguest.agent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.agent.disk.StateFile;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.DeviceReport;

/**
 * What the box has to tell the server, kept until the server has taken it: a report is saved in the outbox (a
 * {@link StateFile}) before it is sent, sent in batches, and removed only once the server acknowledged the batch. A
 * server that is down, or a power cut, loses nothing: the outbox is sent again with a growing, jittered delay, and
 * after a restart. Bounded: past {@link #MAX_REPORTS} the oldest reports are dropped (the check-in still carries the
 * box's state).
 *
 * <p>Each report gets its id when it is saved, so the server stores it once however often it is sent: a batch whose
 * answer was lost (the server took it, then went down) is sent again and not counted twice.
 */
final class ReportOutbox implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReportOutbox.class);
    static final int MAX_REPORTS = 256;
    static final int BATCH = 64;

    private final ServerClient client;
    private final AgentRuntime runtime;
    private final StateFile file;
    private final String device;
    private final long minRetryMillis;
    private final long maxRetryMillis;
    private final List<DeviceReport> pending = new ArrayList<>();
    private boolean sending;
    private boolean again;
    private int failures;
    private ScheduledFuture<?> retry;
    private volatile boolean closed;

    ReportOutbox(ServerClient client, AgentRuntime runtime, StateFile file, String device, long minRetryMillis,
                 long maxRetryMillis) throws IOException {
        this.client = client;
        this.runtime = runtime;
        this.file = file;
        this.device = device;
        this.minRetryMillis = Math.max(1, minRetryMillis);
        this.maxRetryMillis = Math.max(this.minRetryMillis, maxRetryMillis);
        try {
            boolean named = false;
            for (DeviceReport r : file.load().map(body -> DeviceApiJson.mapper().readValue(body, DeviceReport[].class))
                    .orElse(new DeviceReport[0])) {
                named |= r.id() == null;
                pending.add(named(r)); // an outbox an older agent left has reports without ids
            }
            if (named) {
                save(); // the ids it got stay theirs across another restart
            }
        } catch (RuntimeException e) { // a valid copy that does not parse: start empty rather than not at all
            log.warn("event=outbox_unreadable device={} error={}", device, e.toString());
        }
    }

    /** Saves a report and sends it (with whatever else waits) as soon as possible. */
    void add(DeviceReport report) {
        if (closed) {
            return;
        }
        synchronized (this) {
            pending.add(named(report));
            while (pending.size() > MAX_REPORTS) {
                DeviceReport dropped = pending.remove(0);
                log.warn("event=report_dropped device={} type={} reason=outbox_full", device, dropped.type());
            }
            save();
        }
        flushSoon();
    }

    private static DeviceReport named(DeviceReport r) {
        return r.id() == null ? r.withId(UUID.randomUUID()) : r;
    }

    /** Reports waiting for the server. */
    synchronized List<DeviceReport> pending() {
        return List.copyOf(pending);
    }

    /** Sends what waits now (after a check-in showed the server is back, for instance). */
    void flushSoon() {
        if (!closed) {
            runtime.workers().execute(this::flush);
        }
    }

    private void flush() {
        List<DeviceReport> batch;
        synchronized (this) {
            if (sending) {
                again = true;
                return;
            }
            if (pending.isEmpty() || closed) {
                return;
            }
            sending = true;
            batch = List.copyOf(pending.subList(0, Math.min(BATCH, pending.size())));
        }
        boolean sent = false;
        try {
            client.reports(batch);
            sent = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            log.warn("event=report_failed device={} reports={} error={}", device, batch.size(), e.toString());
        }
        boolean more;
        synchronized (this) {
            sending = false;
            if (sent) {
                failures = 0;
                // the batch is the oldest reports, unless the outbox overflowed meanwhile
                int n = 0;
                while (n < batch.size() && !pending.isEmpty() && pending.get(0) == batch.get(n)) {
                    pending.remove(0);
                    n++;
                }
                save();
            } else {
                failures++;
                scheduleRetry();
            }
            more = sent && (!pending.isEmpty() || again);
            again = false;
        }
        if (more) {
            flushSoon();
        }
    }

    private void scheduleRetry() {
        if (closed || retry != null && !retry.isDone()) {
            return;
        }
        long delay = Math.min(maxRetryMillis, minRetryMillis * (1L << Math.min(failures, 16)));
        delay = Math.max(1, (long) (delay * (0.75 + 0.5 * ThreadLocalRandom.current().nextDouble())));
        retry = runtime.scheduler().schedule(this::flushSoon, delay, TimeUnit.MILLISECONDS);
    }

    private void save() {
        try {
            file.save(DeviceApiJson.mapper().writeValueAsBytes(pending));
        } catch (IOException e) {
            log.warn("event=outbox_save_failed device={} error={}", device, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (retry != null) {
            retry.cancel(false);
        }
    }
}
