package org.stbguest.operator.telemetry;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.image.Digest;
import org.stbguest.operator.DomainException;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.security.IntegrationPrincipal;
import org.stbguest.operator.security.IntegrationTokenAuthenticator;

/**
 * Integration tokens for call-center systems: an operator creates one per system (the token is shown once and
 * stored only as its SHA-256), the system posts tickets with it, and a revoked token fails at once.
 */
@Service
public class IntegrationService implements IntegrationTokenAuthenticator {

    /** An integration as operators see it: never its token. */
    public record IntegrationView(long id, String name, String createdBy, Instant createdAt, Instant revokedAt) {
    }

    /** A new integration and its token, shown this once. */
    public record NewIntegration(long id, String name, String token) {
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final Clock clock;

    IntegrationService(JdbcClient jdbc, AuditLog audit, Clock clock) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.clock = clock;
    }

    @Transactional
    public NewIntegration create(String name, String actor) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw DomainException.invalid("invalid-integration", "an integration's name must match " + NAME.pattern());
        }
        if (jdbc.sql("select count(*) from integration_token where name = :n").param("n", name)
                .query(Long.class).single() > 0) {
            throw DomainException.conflict("integration-exists", "an integration named " + name + " exists");
        }
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = "stbi_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        long id = jdbc.sql("""
                        insert into integration_token (name, token_hash, created_by, created_at)
                        values (:n, :h, :by, :at) returning id""")
                .param("n", name).param("h", hash(token)).param("by", actor)
                .param("at", java.sql.Timestamp.from(clock.instant())).query(Long.class).single();
        audit.record(actor, "integration.create", "integration/" + id, "name=" + name);
        return new NewIntegration(id, name, token);
    }

    @Transactional
    public IntegrationView revoke(long id, String actor) {
        int n = jdbc.sql("update integration_token set revoked_at = :at where id = :id and revoked_at is null")
                .param("at", java.sql.Timestamp.from(clock.instant())).param("id", id).update();
        if (n == 0) {
            throw DomainException.notFound("integration-not-found", "no live integration " + id);
        }
        audit.record(actor, "integration.revoke", "integration/" + id, null);
        return list().stream().filter(i -> i.id() == id).findFirst().orElseThrow();
    }

    @Transactional(readOnly = true)
    public List<IntegrationView> list() {
        return jdbc.sql("select id, name, created_by, created_at, revoked_at from integration_token order by id")
                .query((rs, i) -> new IntegrationView(rs.getLong(1), rs.getString(2), rs.getString(3),
                        rs.getTimestamp(4).toInstant(),
                        rs.getTimestamp(5) == null ? null : rs.getTimestamp(5).toInstant())).list();
    }

    @Override
    @Transactional(readOnly = true)
    public Optional<IntegrationPrincipal> authenticate(String token) {
        if (token == null || !token.startsWith("stbi_") || token.length() > 200) {
            return Optional.empty();
        }
        return jdbc.sql("select id, name from integration_token where token_hash = :h and revoked_at is null")
                .param("h", hash(token))
                .query((rs, i) -> new IntegrationPrincipal(rs.getLong(1), rs.getString(2))).optional();
    }

    private static String hash(String token) {
        return Digest.sha256(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hex();
    }
}
