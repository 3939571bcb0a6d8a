package org.stbguest.operator.device;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Writes what boxes say at check-in (when they were last seen, what each role's slots hold) in batches, off the
 * request path: a check-in only queues its state, and every {@code interval} one transaction of two statements
 * writes everything queued since (the last state of each box wins). The queue holds at most one entry per box, so
 * its memory is bounded by the fleet; entries a failed write could not store (the database down) stay queued and go
 * with the next write. A box's slot state moves only forward in time: a report that has already said more recently
 * what the box runs (STAGED, ACTIVATED) is not overwritten by an older check-in's state.
 *
 * <p>What is lost if the server dies before a write: at most {@code interval} of check-in states, which every box
 * says again at its next check-in. Reports, which carry events, are stored before they are acknowledged.
 */
final class CheckInWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CheckInWriter.class);

    /** One box's check-in: when, and each role's running and other slot's image (hex digests, null for none). */
    record Pending(Instant at, List<RoleRow> roles) {
    }

    record RoleRow(String role, String active, String staged) {
    }

    private final ConcurrentHashMap<UUID, Pending> pending = new ConcurrentHashMap<>();
    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final ScheduledExecutorService timer;
    private final Object writing = new Object();

    CheckInWriter(JdbcTemplate jdbc, PlatformTransactionManager transactions, java.time.Duration interval) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactions);
        this.tx.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "check-in-writer");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, interval.toMillis());
        timer.scheduleWithFixedDelay(this::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    void queue(UUID device, Pending state) {
        pending.merge(device, state, (old, now) -> now.at().isBefore(old.at()) ? old : now);
    }

    int queued() {
        return pending.size();
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            log.warn("event=check_in_write_failed queued={} error={}", pending.size(), e.toString());
        }
    }

    /** Writes everything queued so far; on return, every check-in queued before the call is stored. */
    void flush() {
        synchronized (writing) {
            if (pending.isEmpty()) {
                return;
            }
            List<Map.Entry<UUID, Pending>> batch = new ArrayList<>();
            for (var e : pending.entrySet()) {
                if (pending.remove(e.getKey(), e.getValue())) {
                    batch.add(Map.entry(e.getKey(), e.getValue()));
                }
            }
            try {
                tx.executeWithoutResult(s -> write(batch));
            } catch (RuntimeException e) {
                batch.forEach(en -> queue(en.getKey(), en.getValue())); // a newer state queued meanwhile wins
                throw e;
            }
        }
    }

    private void write(List<Map.Entry<UUID, Pending>> batch) {
        int n = batch.size();
        String[] ids = new String[n];
        String[] times = new String[n];
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var en = batch.get(i);
            ids[i] = en.getKey().toString();
            times[i] = en.getValue().at().toString();
            for (RoleRow r : en.getValue().roles()) {
                rows.add(new String[] {ids[i], r.role(), r.active(), r.staged(), times[i]});
            }
        }
        jdbc.execute((Connection c) -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update device d set last_check_in = v.at
                    from unnest(?::text[]::uuid[], ?::text[]::timestamptz[]) as v(id, at)
                    where d.id = v.id and (d.last_check_in is null or d.last_check_in < v.at)""")) {
                ps.setArray(1, c.createArrayOf("text", ids));
                ps.setArray(2, c.createArrayOf("text", times));
                ps.executeUpdate();
            }
            if (!rows.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement("""
                        insert into device_role_state (device_id, role, active_digest, staged_digest, updated_at)
                        select v.id, v.role, v.active, v.staged, v.at
                        from unnest(?::text[]::uuid[], ?::text[], ?::text[], ?::text[], ?::text[]::timestamptz[])
                             as v(id, role, active, staged, at)
                        join device d on d.id = v.id
                        on conflict (device_id, role) do update
                            set active_digest = excluded.active_digest, staged_digest = excluded.staged_digest,
                                updated_at = excluded.updated_at
                            where device_role_state.updated_at <= excluded.updated_at
                              and (device_role_state.active_digest, device_role_state.staged_digest)
                                  is distinct from (excluded.active_digest, excluded.staged_digest)""")) {
                    ps.setArray(1, c.createArrayOf("text", column(rows, 0)));
                    ps.setArray(2, c.createArrayOf("text", column(rows, 1)));
                    ps.setArray(3, c.createArrayOf("text", column(rows, 2)));
                    ps.setArray(4, c.createArrayOf("text", column(rows, 3)));
                    ps.setArray(5, c.createArrayOf("text", column(rows, 4)));
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    private static String[] column(List<String[]> rows, int i) {
        String[] out = new String[rows.size()];
        for (int r = 0; r < out.length; r++) {
            out[r] = rows.get(r)[i];
        }
        return out;
    }

    /**
     * Writes what is queued and stops, waiting at most {@link #STOP_WAIT} for the database: at a stop whose database
     * is already gone (a shutdown in which PostgreSQL stops first) the queued states are dropped rather than holding
     * the stop for the pool's connection timeout. Nothing acknowledged is lost: these are check-in states, which every
     * box sends again at its next check-in.
     */
    @Override
    public void close() {
        timer.shutdown();
        Thread last = new Thread(() -> {
            try {
                flush();
            } catch (RuntimeException e) {
                log.warn("event=check_in_write_failed_at_stop queued={} error={}", pending.size(), e.toString());
            }
        }, "check-in-writer-stop");
        last.setDaemon(true);
        try {
            timer.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            last.start();
            last.join(STOP_WAIT.toMillis());
            if (last.isAlive()) {
                log.warn("event=check_in_write_abandoned_at_stop queued={} reason=database_unreachable", pending.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static final java.time.Duration STOP_WAIT = java.time.Duration.ofSeconds(5);

}
