package org.stbguest.operator.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Counts failed logins per account name and locks an account for {@code window} once it has {@code maxFailures}
 * failures within that window: a guessed password then gets 429 without being checked. Keyed by the account name
 * (operators share offices and NAT addresses, so never by address alone); the table keeps at most
 * {@link #MAX_ACCOUNTS} names, so a spray of invented names cannot grow it without bound.
 */
final class LoginThrottle {

    static final int MAX_ACCOUNTS = 10_000;

    private record Entry(int failures, Instant firstFailure, Instant lockedUntil) {
    }

    private final int maxFailures;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > MAX_ACCOUNTS;
        }
    };

    LoginThrottle(int maxFailures, Duration window, Clock clock) {
        this.maxFailures = maxFailures;
        this.window = window;
        this.clock = clock;
    }

    /** When the account is locked, until when. */
    synchronized Optional<Instant> lockedUntil(String account) {
        Entry e = entries.get(account);
        Instant now = clock.instant();
        if (e == null || e.lockedUntil() == null || !now.isBefore(e.lockedUntil())) {
            return Optional.empty();
        }
        return Optional.of(e.lockedUntil());
    }

    /** Records a failure; returns true when this failure locked the account. */
    synchronized boolean failed(String account) {
        Instant now = clock.instant();
        Entry e = entries.get(account);
        if (e == null || now.isAfter(e.firstFailure().plus(window))) {
            e = new Entry(0, now, null);
        }
        int failures = e.failures() + 1;
        boolean lock = failures >= maxFailures;
        entries.put(account, new Entry(lock ? 0 : failures, lock ? now : e.firstFailure(),
                lock ? now.plus(window) : e.lockedUntil()));
        return lock;
    }

    /** A successful login clears the account's failures. */
    synchronized void succeeded(String account) {
        entries.remove(account);
    }
}
