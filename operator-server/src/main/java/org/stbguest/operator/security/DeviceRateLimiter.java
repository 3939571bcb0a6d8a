package org.stbguest.operator.security;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per device: {@code perMinute} requests a minute (reports, check-ins), refilled continuously, with a burst of the same
 * size. Keyed by the authenticated device, never by address (boxes share NAT addresses). A bucket untouched for a
 * minute is full again, the same as none: such buckets are dropped once a minute, so the map holds the devices of the
 * last minute or two (a fleet's check-in interval is longer), not every device ever seen.
 */
public final class DeviceRateLimiter {

    private final double perMinute;
    private final Clock clock;
    private static final long IDLE_MS = 60_000;

    private final ConcurrentHashMap<UUID, double[]> buckets = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong lastSweep = new java.util.concurrent.atomic.AtomicLong();

    public DeviceRateLimiter(int perMinute, Clock clock) {
        if (perMinute < 1) {
            throw new IllegalArgumentException("requests per minute must be >= 1");
        }
        this.perMinute = perMinute;
        this.clock = clock;
    }

    /** Takes one token for {@code device}; false when its bucket is empty. */
    public boolean tryAcquire(UUID device) {
        long now = clock.millis();
        sweepIfDue(now);
        boolean[] ok = new boolean[1];
        buckets.compute(device, (k, b) -> {
            if (b == null) {
                b = new double[] {perMinute, now};
            }
            b[0] = Math.min(perMinute, b[0] + (now - b[1]) * perMinute / 60_000.0);
            b[1] = now;
            if (b[0] >= 1) {
                b[0] -= 1;
                ok[0] = true;
            }
            return b;
        });
        return ok[0];
    }

    /** Buckets held (tests, metrics). */
    public int size() {
        return buckets.size();
    }

    private void sweepIfDue(long now) {
        long last = lastSweep.get();
        if (now - last < IDLE_MS || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        // re-checked under the entry's lock: a bucket used meanwhile stays
        buckets.forEach((k, b) -> buckets.computeIfPresent(k, (kk, bb) -> now - bb[1] >= IDLE_MS ? null : bb));
    }
}
