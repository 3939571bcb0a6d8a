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
 */
@ConfigurationProperties("stb.security")
public record SecurityProperties(@DefaultValue Map<String, Account> accounts, String fleetEnrolmentSecret) {

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
