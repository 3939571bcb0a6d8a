package org.stbguest.operator.security;

import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Accounts from configuration ({@code stb.security.accounts.<name>.password} and {@code .roles}). Roles ({@link Role}):
 * {@code VIEWER}, {@code OPERATOR}, {@code RELEASE_MANAGER}, {@code ADMIN} for people; {@code DISTRIBUTOR} and
 * {@code CALLCENTER} for services (which better use API tokens). Passwords may be given as {@code {bcrypt}...} hashes or
 * as plain text, which is hashed at start. When no configured account is an {@code ADMIN}, an {@code admin} account is
 * created with a random password written to {@code <data-dir>/initial-admin-password}, never to the log. Admins create
 * further accounts at run time ({@code POST /api/accounts}); those live in the database.
 *
 * <p>{@code stb.security.fleet-enrolment-secret} (environment {@code STB_SECURITY_FLEETENROLMENTSECRET}), when set,
 * lets boxes enrol themselves ({@code POST /api/enrolment} with {@code Authorization: Bearer <secret>}); unset, only
 * operators enrol boxes.
 *
 * <p>{@code stb.security.password-checks.*} bounds HTTP Basic ({@link PasswordChecks}): {@code per-second} bcrypt
 * checks a second (4, bursts of {@code burst}, 20), {@code concurrency} at once (0, the default: half the processors,
 * at least one), each waiting at most {@code max-wait} (500 ms) for its turn; a matched password remembered for
 * {@code remember} (5 min; 0 turns the memory off), at most {@code max-remembered} (1,000) of them.
 */
@ConfigurationProperties("stb.security")
public record SecurityProperties(@DefaultValue Map<String, Account> accounts, String fleetEnrolmentSecret,
                                 @DefaultValue PasswordCheckLimits passwordChecks) {

    /** How HTTP Basic's password checks are bounded and remembered ({@link PasswordChecks}). */
    public record PasswordCheckLimits(@DefaultValue("4") double perSecond, @DefaultValue("20") int burst,
                                      @DefaultValue("0") int concurrency,
                                      @DefaultValue("500ms") java.time.Duration maxWait,
                                      @DefaultValue("5m") java.time.Duration remember,
                                      @DefaultValue("1000") int maxRemembered) {

        /** The concurrency to use: as configured, or half the processors (at least one). */
        public int effectiveConcurrency() {
            return concurrency > 0 ? concurrency : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        }
    }

    @Override
    public String toString() {
        return "SecurityProperties[accounts=" + accounts + ", fleetEnrolmentSecret=" + (fleetEnrolmentSecret == null
                ? "unset" : "***") + "]";
    }

    /** One account. */
    public record Account(String password, @DefaultValue("OPERATOR") List<String> roles) {

        @Override
        public String toString() {
            return "Account[roles=" + roles + ", password=***]";
        }
    }
}
