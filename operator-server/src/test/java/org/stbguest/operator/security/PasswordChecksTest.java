package org.stbguest.operator.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.security.crypto.password.PasswordEncoder;

/** Password checks: bounded in number at once, a match remembered by password and stored hash, a failure never. */
class PasswordChecksTest {

    private final DeviceRateLimiterTest.ManualClock clock = new DeviceRateLimiterTest.ManualClock();
    private final io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

    private double counted(String outcome) {
        return meters.counter("stb.password.checks", "outcome", outcome).count();
    }

    /** Matches when the raw password is the stored hash without its "hash:" prefix, counting every check. */
    private static final class Counting implements PasswordEncoder {
        final AtomicInteger checks = new AtomicInteger();
        volatile CountDownLatch hold;
        final CountDownLatch entered = new CountDownLatch(1);

        @Override
        public String encode(CharSequence raw) {
            return "hash:" + raw;
        }

        @Override
        public boolean matches(CharSequence raw, String encoded) {
            checks.incrementAndGet();
            entered.countDown();
            if (hold != null) {
                try {
                    hold.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return encoded.equals("hash:" + raw);
        }
    }

    @Test
    void aMatchIsRememberedForItsPasswordAndHashOnlyAndAFailureNever() {
        Counting bcrypt = new Counting();
        PasswordChecks checks = new PasswordChecks(bcrypt, 1000, 1000, 1, Duration.ofSeconds(1), Duration.ofMinutes(5), 100,
                clock, meters);
        assertThat(checks.matches("secret-one", "hash:secret-one")).isTrue();
        assertThat(checks.matches("secret-one", "hash:secret-one")).isTrue();
        assertThat(bcrypt.checks.get()).as("the second request pays no check").isEqualTo(1);

        assertThat(checks.matches("guess", "hash:secret-one")).isFalse();
        assertThat(checks.matches("guess", "hash:secret-one")).isFalse();
        assertThat(bcrypt.checks.get()).as("every wrong password is checked").isEqualTo(3);

        // the password changed: the stored hash is another one, the old password is checked (and fails)
        assertThat(checks.matches("secret-one", "hash:secret-two")).isFalse();
        assertThat(bcrypt.checks.get()).isEqualTo(4);
        // a password that ends where another's hash begins is not mistaken for it (lengths are part of the memo)
        assertThat(checks.matches("secret-on", "ehash:secret-one")).isFalse();

        clock.millis += Duration.ofMinutes(5).plusSeconds(1).toMillis();
        assertThat(checks.matches("secret-one", "hash:secret-one")).isTrue();
        assertThat(bcrypt.checks.get()).as("remembered for five minutes, then checked again").isEqualTo(6);
        assertThat(checks.remembered()).isEqualTo(1);
        assertThat(counted("remembered")).isEqualTo(1);
        assertThat(counted("matched")).isEqualTo(2);
        assertThat(counted("failed")).isEqualTo(4);
    }

    @Test
    void withoutMemoryEveryRequestIsChecked() {
        Counting bcrypt = new Counting();
        PasswordChecks checks = new PasswordChecks(bcrypt, 1000, 1000, 1, Duration.ofSeconds(1), Duration.ZERO, 100,
                clock, meters);
        for (int i = 0; i < 3; i++) {
            assertThat(checks.matches("secret-one", "hash:secret-one")).isTrue();
        }
        assertThat(bcrypt.checks.get()).isEqualTo(3);
    }

    @Test
    void theMemoryIsBounded() {
        PasswordChecks checks = new PasswordChecks(new Counting(), 1000, 1000, 1, Duration.ofSeconds(1), Duration.ofMinutes(5), 10,
                clock, meters);
        for (int i = 0; i < 50; i++) {
            assertThat(checks.matches("pw-" + i, "hash:pw-" + i)).isTrue();
        }
        assertThat(checks.remembered()).isEqualTo(10);
    }

    @Test
    void aCheckThatFindsNoTurnWithinTheWaitIsBusyNotWrong() throws Exception {
        Counting bcrypt = new Counting();
        bcrypt.hold = new CountDownLatch(1);
        PasswordChecks checks = new PasswordChecks(bcrypt, 1000, 1000, 1, Duration.ofMillis(100), Duration.ofMinutes(5), 100,
                clock, meters);
        CompletableFuture<Boolean> slow = CompletableFuture.supplyAsync(() -> checks.matches("a", "hash:a"));
        assertThat(bcrypt.entered.await(10, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> checks.matches("b", "hash:b")).isInstanceOf(PasswordChecks.BusyException.class)
                .hasMessageContaining("too many password checks");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(90))
                .isLessThan(Duration.ofSeconds(5));
        bcrypt.hold.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS)).isTrue();
        bcrypt.hold = null;
        assertThat(checks.matches("b", "hash:b")).as("a turn again once the first check ended").isTrue();
        assertThat(checks.turns().availablePermits()).isEqualTo(1);
        assertThat(counted("busy_turn")).isEqualTo(1);
    }

    @Test
    void freshChecksBeyondTheRateAreBusyAtOnceAndRememberedOnesAreNot() {
        Counting bcrypt = new Counting();
        PasswordChecks checks = new PasswordChecks(bcrypt, 2, 3, 1, Duration.ofSeconds(1), Duration.ofMinutes(5), 100,
                clock, meters);
        assertThat(checks.matches("right", "hash:right")).isTrue();
        assertThat(checks.matches("guess-1", "hash:right")).isFalse();
        assertThat(checks.matches("guess-2", "hash:right")).isFalse();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> checks.matches("guess-3", "hash:right")).isInstanceOf(PasswordChecks.BusyException.class)
                .hasMessageContaining("a second");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("refused without waiting").isLessThan(Duration.ofSeconds(1));
        assertThat(bcrypt.checks.get()).as("the refused guess cost no check").isEqualTo(3);
        assertThat(checks.matches("right", "hash:right")).as("remembered: no token needed").isTrue();
        clock.millis += 500; // one token back at 2 a second
        assertThat(checks.matches("guess-4", "hash:right")).isFalse();
        assertThatThrownBy(() -> checks.matches("guess-5", "hash:right")).isInstanceOf(PasswordChecks.BusyException.class);
        clock.millis += 60_000; // full again, but never above the burst
        for (int i = 0; i < 3; i++) {
            assertThat(checks.matches("guess-" + (6 + i), "hash:right")).isFalse();
        }
        assertThatThrownBy(() -> checks.matches("guess-9", "hash:right")).isInstanceOf(PasswordChecks.BusyException.class);
        assertThat(counted("busy_rate")).isEqualTo(3);
    }

    @Test
    void aConcurrencyBelowOneIsAClearError() {
        assertThatThrownBy(() -> new PasswordChecks(new Counting(), 1000, 1000, 0, Duration.ofSeconds(1), Duration.ZERO, 1,
                clock, meters))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }
}
