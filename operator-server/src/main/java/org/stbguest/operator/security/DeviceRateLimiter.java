package org.stbguest.operator.security;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per device: {@code perMinute} requests a minute (reports, check-ins), refilled continuously, with a burst of the same
 * size. Keyed by the authenticated device, never by address (boxes share NAT addresses), so the map holds at most
 * one small entry per enrolled device.
 */
public final class DeviceRateLimiter {

    private final double perMinute;
    private final Clock clock;
    private final ConcurrentHashMap<UUID, double[]> buckets = new ConcurrentHashMap<>();

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
}
