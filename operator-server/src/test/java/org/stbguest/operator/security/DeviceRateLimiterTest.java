package org.stbguest.operator.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DeviceRateLimiterTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        long millis = 1_000_000;

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    @Test
    void aBurstThenTheRefillRateAndEachDeviceHasItsOwnBucket() {
        ManualClock clock = new ManualClock();
        DeviceRateLimiter limiter = new DeviceRateLimiter(120, clock);
        UUID noisy = UUID.randomUUID();
        long allowed = IntStream.range(0, 200).filter(i -> limiter.tryAcquire(noisy)).count();
        assertThat(allowed).as("a burst of one minute's worth").isEqualTo(120);
        assertThat(limiter.tryAcquire(UUID.randomUUID())).as("another box behind the same NAT").isTrue();
        clock.millis += 10_000; // 10 s refill 20 tokens
        assertThat(IntStream.range(0, 50).filter(i -> limiter.tryAcquire(noisy)).count()).isEqualTo(20);
    }

    @Test
    void idleBucketsAreDroppedSoTheMapDoesNotGrowWithTheFleet() {
        ManualClock clock = new ManualClock();
        DeviceRateLimiter limiter = new DeviceRateLimiter(120, clock);
        for (int i = 0; i < 10_000; i++) {
            limiter.tryAcquire(UUID.randomUUID());
        }
        UUID busy = UUID.randomUUID();
        for (int i = 0; i < 100; i++) {
            limiter.tryAcquire(busy);
        }
        assertThat(limiter.size()).isEqualTo(10_001);
        clock.millis += 61_000;
        assertThat(limiter.tryAcquire(UUID.randomUUID())).isTrue();
        assertThat(limiter.size()).as("the idle buckets went; the new one stays").isEqualTo(1);
        // a dropped bucket comes back full: dropping it changed nothing for its device
        assertThat(IntStream.range(0, 200).filter(i -> limiter.tryAcquire(busy)).count()).isEqualTo(120);
    }
}
