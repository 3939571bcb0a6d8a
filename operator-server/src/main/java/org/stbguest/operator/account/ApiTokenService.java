package org.stbguest.operator.account;

import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.image.Digest;
import org.stbguest.operator.DomainException;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.security.ApiTokenAuthenticator;
import org.stbguest.operator.security.ApiTokenPrincipal;
import org.stbguest.operator.security.Role;

/**
 * API tokens: for stbctl and scripts (a person's token, with at most that person's role), for Prometheus (a viewer
 * token) and for the headend distributor (a {@code DISTRIBUTOR} token an admin creates). A token is shown once, kept
 * only as its SHA-256, and checked against the database on every request, so a revoked or expired token, or one whose
 * account was disabled (or, for an account from configuration, removed from it), fails at once on every instance.
 */
@Service
public class ApiTokenService implements ApiTokenAuthenticator {

    /** A token as its owner or an admin sees it: never the token itself. */
    public record TokenView(long id, String name, String owner, Role role, Instant createdAt, Instant expiresAt,
                            Instant revokedAt, Instant lastUsedAt) {
    }

    /** A new token, shown this once. */
    public record NewToken(long id, String name, String owner, Role role, Instant expiresAt, String token) {
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration LAST_USED_GRANULARITY = Duration.ofMinutes(1);
    private static final int MAX_DAYS = 3650;

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final Clock clock;
    private final AccountService accounts;

    /** The accounts from configuration, whose tokens live as long as the account is configured. */
    private final List<String> configured;

    ApiTokenService(JdbcClient jdbc, AuditLog audit, Clock clock, AccountService accounts,
                    org.stbguest.operator.security.ConfiguredAccounts configuredAccounts) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.clock = clock;
        this.accounts = accounts;
        this.configured = configuredAccounts.names().isEmpty() ? List.of("") : List.copyOf(configuredAccounts.names());
    }

    /**
     * Creates a token owned by the caller's account, carrying {@code role} (at most the caller's own; service roles
     * only by an admin) and expiring after {@code days} (none: it lasts until revoked).
     */
    @Transactional
    public NewToken create(String name, String role, Integer days, Authentication who) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw DomainException.invalid("invalid-token-name", "a token's name must match " + NAME.pattern());
        }
        Role wanted = Role.parse(role).orElseThrow(() -> DomainException.invalid("invalid-role",
                "a token's role is one of viewer, operator, release-manager, admin, distributor, callcenter"));
        if (days != null && (days < 1 || days > MAX_DAYS)) {
            throw DomainException.invalid("invalid-expiry", "a token expires after 1 to " + MAX_DAYS + " days");
        }
        if (who.getPrincipal() instanceof ApiTokenPrincipal) {
            // a leaked token must not be able to mint successors that outlive its revocation
            throw refused(who, "password-required", "a token is made by signing in with the account's password, "
                    + "not with another token (so revoking a leaked token ends it)");
        }
        String owner = owner(who);
        Role mine = callerRole(who);
        if (!mine.includes(wanted)) {
            throw refused(who, "role-above-yours",
                    "a " + mine.name() + " cannot create a token with role " + wanted.name());
        }
        if (jdbc.sql("select count(*) from api_token where owner = :o and name = :n").param("o", owner)
                .param("n", name).query(Long.class).single() > 0) {
            throw DomainException.conflict("token-exists", owner + " already has a token named " + name);
        }
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant now = clock.instant();
        Instant expires = days == null ? null : now.plus(Duration.ofDays(days));
        long id = jdbc.sql("""
                        insert into api_token (name, owner, role, token_hash, created_at, expires_at)
                        values (:n, :o, :r, :h, :at, :exp) returning id""")
                .param("n", name).param("o", owner).param("r", wanted.name()).param("h", hash(token))
                .param("at", Timestamp.from(now)).param("exp", expires == null ? null : Timestamp.from(expires))
                .query(Long.class).single();
        audit.record(who.getName(), "token.create", "token/" + id,
                "name=" + name + " owner=" + owner + " role=" + wanted.name() + (days == null ? "" : " days=" + days));
        return new NewToken(id, name, owner, wanted, expires, token);
    }

    /** The caller's own tokens; an admin's answer holds everyone's. */
    @Transactional(readOnly = true)
    public List<TokenView> list(Authentication who) {
        boolean admin = callerRole(who) == Role.ADMIN;
        return jdbc.sql("""
                        select id, name, owner, role, created_at, expires_at, revoked_at, last_used_at from api_token
                        where :all or owner = :o order by id""")
                .param("all", admin).param("o", owner(who)).query((rs, i) -> new TokenView(rs.getLong(1),
                        rs.getString(2), rs.getString(3), Role.valueOf(rs.getString(4)), instant(rs, 5),
                        instant(rs, 6), instant(rs, 7), instant(rs, 8))).list();
    }

    /** Revokes a token of the caller's (an admin may revoke anyone's): its next request fails. */
    @Transactional
    public TokenView revoke(long id, Authentication who) {
        boolean admin = callerRole(who) == Role.ADMIN;
        int n = jdbc.sql("""
                        update api_token set revoked_at = :at where id = :id and revoked_at is null
                        and (:all or owner = :o)""")
                .param("at", Timestamp.from(clock.instant())).param("id", id).param("all", admin)
                .param("o", owner(who)).update();
        if (n == 0) {
            throw DomainException.notFound("token-not-found", "no live token " + id + " of yours");
        }
        audit.record(who.getName(), "token.revoke", "token/" + id, null);
        return list(who).stream().filter(t -> t.id() == id).findFirst().orElseThrow();
    }

    @Override
    public Optional<ApiTokenPrincipal> authenticate(String token) {
        if (token == null || !token.startsWith(PREFIX) || token.length() > 200) {
            return Optional.empty();
        }
        Timestamp now = Timestamp.from(clock.instant());
        record Row(ApiTokenPrincipal principal, Instant lastUsed) {
        }
        Optional<Row> row = jdbc.sql("""
                        select t.id, t.name, t.owner, t.role, t.last_used_at from api_token t
                        where t.token_hash = :h and t.revoked_at is null and (t.expires_at is null or t.expires_at > :now)
                        and (t.owner in (:configured) or exists (select 1 from operator_account a
                                                                 where a.name = t.owner and a.disabled_at is null))""")
                .param("h", hash(token)).param("now", now).param("configured", configured)
                .query((rs, i) -> new Row(new ApiTokenPrincipal(rs.getLong(1), rs.getString(2), rs.getString(3),
                        Role.valueOf(rs.getString(4))), instant(rs, 5))).optional();
        row.filter(r -> r.lastUsed() == null
                        || r.lastUsed().isBefore(now.toInstant().minus(LAST_USED_GRANULARITY)))
                .ifPresent(r -> jdbc.sql("update api_token set last_used_at = :now where id = :id")
                        .param("now", now).param("id", r.principal().id()).update());
        return row.map(Row::principal);
    }

    private String owner(Authentication who) {
        if (who.getPrincipal() instanceof ApiTokenPrincipal t) {
            return t.owner();
        }
        String name = who.getName();
        if (!accounts.enabled(name)) {
            throw DomainException.forbidden("account-disabled", "account " + name + " is disabled");
        }
        return name;
    }

    /** A refused token creation: audited (in a transaction of its own) as every failed authorization is. */
    private DomainException refused(Authentication who, String code, String message) {
        audit.recordRefusal(who.getName(), "auth.denied", "token", code);
        return DomainException.forbidden(code, message);
    }

    private static Role callerRole(Authentication who) {
        return Role.of(who).orElseThrow(() -> DomainException.forbidden("no-role", "this caller holds no role"));
    }

    private static Instant instant(java.sql.ResultSet rs, int column) throws java.sql.SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static String hash(String token) {
        return Digest.sha256(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hex();
    }
}
