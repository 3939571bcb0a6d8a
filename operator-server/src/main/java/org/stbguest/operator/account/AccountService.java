package org.stbguest.operator.account;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.operator.DomainException;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.security.AccountDirectory;
import org.stbguest.operator.security.ConfiguredAccounts;
import org.stbguest.operator.security.Role;

/**
 * Operator accounts an admin creates and disables at run time, kept in the database (bcrypt hashes only). Accounts
 * from configuration ({@code stb.security.accounts}) come first and cannot be changed here. Disabling an account
 * revokes its API tokens in the same transaction: its next request fails, on every instance.
 */
@Service
public class AccountService implements AccountDirectory {

    /** An account as an admin sees it: never its password. */
    public record AccountView(String name, Role role, String source, String createdBy, Instant createdAt,
                              Instant disabledAt) {
    }

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
    static final int MIN_PASSWORD = 12;

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final Clock clock;
    private final PasswordEncoder encoder;
    private final ConfiguredAccounts configured;

    AccountService(JdbcClient jdbc, AuditLog audit, Clock clock, PasswordEncoder encoder, ConfiguredAccounts configured) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.clock = clock;
        this.encoder = encoder;
        this.configured = configured;
    }

    @Transactional
    public AccountView create(String name, String password, String role, String actor) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw DomainException.invalid("invalid-account", "an account's name must match " + NAME.pattern());
        }
        Role r = Role.parse(role).filter(Role::isPerson).orElseThrow(() -> DomainException.invalid("invalid-role",
                "an account's role is one of viewer, operator, release-manager, admin (services use API tokens)"));
        checkPassword(password);
        if (configured.names().contains(name) || jdbc.sql("select count(*) from operator_account where name = :n")
                .param("n", name).query(Long.class).single() > 0) {
            throw DomainException.conflict("account-exists", "an account named " + name + " exists");
        }
        Instant now = clock.instant();
        jdbc.sql("""
                        insert into operator_account (name, password_hash, role, created_by, created_at)
                        values (:n, :h, :r, :by, :at)""")
                .param("n", name).param("h", encoder.encode(password)).param("r", r.name()).param("by", actor)
                .param("at", Timestamp.from(now)).update();
        audit.record(actor, "account.create", "account/" + name, "role=" + r.name());
        return new AccountView(name, r, "database", actor, now, null);
    }

    @Transactional
    public AccountView disable(String name, String actor) {
        if (configured.names().contains(name)) {
            throw DomainException.conflict("account-configured",
                    "account " + name + " comes from the server's configuration; remove it there");
        }
        if (name.equals(actor)) {
            throw DomainException.conflict("account-self", "an admin cannot disable their own account");
        }
        Timestamp now = Timestamp.from(clock.instant());
        int n = jdbc.sql("update operator_account set disabled_at = :at where name = :n and disabled_at is null")
                .param("at", now).param("n", name).update();
        if (n == 0) {
            throw DomainException.notFound("account-not-found", "no enabled account " + name);
        }
        int tokens = jdbc.sql("update api_token set revoked_at = :at where owner = :n and revoked_at is null")
                .param("at", now).param("n", name).update();
        audit.record(actor, "account.disable", "account/" + name, "tokens revoked=" + tokens);
        return list().stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow();
    }

    /**
     * Sets a database account's password: an admin's reset ({@code current} null), or the account's own change, which
     * must give the current password. Accounts from configuration change in configuration only.
     */
    @Transactional
    public void setPassword(String name, String current, String password, String actor) {
        if (configured.names().contains(name)) {
            throw DomainException.conflict("account-configured",
                    "account " + name + " comes from the server's configuration; change its password there");
        }
        StoredAccount account = find(name).orElseThrow(() -> DomainException.notFound("account-not-found",
                "no enabled account " + name));
        checkPassword(password);
        if (current != null && !currentMatches(current, account.passwordHash())) {
            audit.recordRefusal(actor, "account.password_refused", "account/" + name, "wrong current password");
            throw DomainException.forbidden("wrong-password", "the current password is wrong");
        }
        jdbc.sql("update operator_account set password_hash = :h where name = :n")
                .param("h", encoder.encode(password)).param("n", name).update();
        audit.record(actor, current == null ? "account.password_reset" : "account.password_change",
                "account/" + name, null);
    }

    @Transactional(readOnly = true)
    public List<AccountView> list() {
        List<AccountView> all = new java.util.ArrayList<>();
        configured.roles().forEach((name, role) -> all.add(new AccountView(name, role, "configuration", null, null,
                null)));
        all.addAll(jdbc.sql("""
                        select name, role, created_by, created_at, disabled_at from operator_account order by name""")
                .query((rs, i) -> new AccountView(rs.getString(1), Role.valueOf(rs.getString(2)), "database",
                        rs.getString(3), rs.getTimestamp(4).toInstant(),
                        rs.getTimestamp(5) == null ? null : rs.getTimestamp(5).toInstant())).list());
        return all;
    }

    @Override
    @Transactional(readOnly = true)
    public Optional<StoredAccount> find(String name) {
        return jdbc.sql("select name, password_hash, role from operator_account where name = :n and disabled_at is null")
                .param("n", name)
                .query((rs, i) -> new StoredAccount(rs.getString(1), rs.getString(2), Role.valueOf(rs.getString(3))))
                .optional();
    }

    /** Whether {@code owner} is an account that may hold tokens now (configured, or in the database and enabled). */
    boolean enabled(String owner) {
        return configured.names().contains(owner) || find(owner).isPresent();
    }

    private boolean currentMatches(String current, String hash) {
        try {
            return encoder.matches(current, hash);
        } catch (org.stbguest.operator.security.PasswordChecks.BusyException e) { // unchecked, not wrong: no refusal
            throw new org.stbguest.operator.web.ApiException.Unavailable("password-checks-busy", e.getMessage(), 1);
        }
    }

    private static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD
                || !org.stbguest.operator.security.PasswordChecks.fitsBcrypt(password)) {
            throw DomainException.invalid("weak-password", "a password has at least " + MIN_PASSWORD
                    + " characters and at most " + org.stbguest.operator.security.PasswordChecks.MAX_PASSWORD_BYTES
                    + " bytes in UTF-8 (bcrypt's limit)");
        }
    }
}
