package org.stbguest.operator.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.crypto.password.PasswordEncoder;

/**
 * The password encoder the server checks logins with, bounded so that HTTP Basic cannot take the machine:
 *
 * <ul>
 *   <li>At most {@code perSecond} bcrypt checks a second (a token bucket holding up to {@code burst}), and at most
 *   {@code concurrency} at once (each waiting at most {@code maxWait} for its turn). A check beyond either fails at
 *   once with {@link BusyException}, answered 503 with {@code Retry-After} and not counted as a failed login. A spray
 *   of invented names or wrong passwords (each costs a full bcrypt check, even for a name that does not exist, and no
 *   lock-out stops invented names) thus takes a bounded share of the CPU, and the boxes' check-ins keep the rest;
 *   logins that do not wait hold no request thread either.</li>
 *   <li>A password that matched is remembered for {@code remember}: a script or the console sending the same Basic
 *   credentials with every request pays the bcrypt check once, not per request. The memory holds an HMAC (under a
 *   random key of this process) of the presented password <i>and the stored hash</i>, never the password: a changed
 *   password (a new hash) or a disabled account (refused before the password is looked at) take effect at once.
 *   Failures are never remembered.</li>
 * </ul>
 */
public final class PasswordChecks implements PasswordEncoder {

    /** No turn for a password check within the wait: the server is busy checking passwords. */
    public static final class BusyException extends AuthenticationServiceException {
        BusyException(String message) {
            super(message);
        }
    }

    /** bcrypt reads at most 72 bytes of a password; a longer one would be cut without a word, so it is refused. */
    public static final int MAX_PASSWORD_BYTES = 72;

    /** Whether bcrypt reads all of {@code password}. */
    public static boolean fitsBcrypt(String password) {
        return password.getBytes(StandardCharsets.UTF_8).length <= MAX_PASSWORD_BYTES;
    }

    private final PasswordEncoder delegate;
    private final double perSecond;
    private final double burst;
    private double tokens;
    private long refilledAt;
    private final Semaphore turns;
    private final long waitNanos;
    private final Duration remember;
    private final int maxRemembered;
    private final Clock clock;
    private final SecretKeySpec key;
    private final Map<String, Instant> matched;
    private final io.micrometer.core.instrument.Counter remembered;
    private final io.micrometer.core.instrument.Counter matchedChecks;
    private final io.micrometer.core.instrument.Counter failedChecks;
    private final io.micrometer.core.instrument.Counter busyRate;
    private final io.micrometer.core.instrument.Counter busyTurn;

    public PasswordChecks(PasswordEncoder delegate, double perSecond, int burst, int concurrency, Duration wait,
                          Duration remember, int maxRemembered, Clock clock,
                          io.micrometer.core.instrument.MeterRegistry meters) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("password checks: concurrency must be at least 1, not " + concurrency);
        }
        if (!(perSecond > 0) || burst < 1) {
            throw new IllegalArgumentException("password checks: per-second must be above 0 and burst at least 1, not "
                    + perSecond + " and " + burst);
        }
        this.delegate = delegate;
        this.perSecond = perSecond;
        this.burst = burst;
        this.tokens = burst;
        this.refilledAt = clock.millis();
        this.turns = new Semaphore(concurrency, true);
        this.waitNanos = wait.toNanos();
        this.remember = remember;
        this.maxRemembered = maxRemembered;
        this.clock = clock;
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        this.key = new SecretKeySpec(k, "HmacSHA256");
        // stb_password_checks_total{outcome}: what became of each password a login presented
        this.remembered = meters.counter("stb.password.checks", "outcome", "remembered");
        this.matchedChecks = meters.counter("stb.password.checks", "outcome", "matched");
        this.failedChecks = meters.counter("stb.password.checks", "outcome", "failed");
        this.busyRate = meters.counter("stb.password.checks", "outcome", "busy_rate");
        this.busyTurn = meters.counter("stb.password.checks", "outcome", "busy_turn");
        this.matched = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
                return size() > PasswordChecks.this.maxRemembered;
            }
        };
    }

    @Override
    public String encode(CharSequence raw) {
        return delegate.encode(raw);
    }

    @Override
    public boolean matches(CharSequence raw, String encoded) {
        if (raw == null || encoded == null) {
            return delegate.matches(raw, encoded);
        }
        String memo = remember.isZero() ? null : memo(raw, encoded);
        if (memo != null) {
            synchronized (matched) {
                Instant until = matched.get(memo);
                if (until != null && clock.instant().isBefore(until)) {
                    remembered.increment();
                    return true;
                }
            }
        }
        if (!takeToken()) {
            busyRate.increment();
            throw new BusyException("more password checks than this server takes a second; retry shortly");
        }
        boolean ok;
        try {
            if (!turns.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) {
                busyTurn.increment();
                throw new BusyException("too many password checks at once; retry shortly");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusyException("interrupted while waiting to check a password");
        }
        try {
            ok = delegate.matches(raw, encoded);
        } finally {
            turns.release();
        }
        (ok ? matchedChecks : failedChecks).increment();
        if (ok && memo != null) {
            synchronized (matched) {
                matched.put(memo, clock.instant().plus(remember));
            }
        }
        return ok;
    }

    @Override
    public boolean upgradeEncoding(String encoded) {
        return delegate.upgradeEncoding(encoded);
    }

    private synchronized boolean takeToken() {
        long now = clock.millis();
        tokens = Math.min(burst, tokens + Math.max(0, now - refilledAt) * perSecond / 1000.0);
        refilledAt = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    /** The turns, for tests that take them all to see what a busy server answers. */
    Semaphore turns() {
        return turns;
    }

    int remembered() {
        synchronized (matched) {
            return matched.size();
        }
    }

    private String memo(CharSequence raw, String encoded) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] pw = raw.toString().getBytes(StandardCharsets.UTF_8);
            mac.update(java.nio.ByteBuffer.allocate(4).putInt(pw.length).array());
            mac.update(pw);
            mac.update(encoded.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
