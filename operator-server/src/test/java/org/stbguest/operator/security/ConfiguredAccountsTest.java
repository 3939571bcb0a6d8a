package org.stbguest.operator.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.stbguest.operator.StbProperties;

/** Accounts from configuration: a careless one stops the server at start with a message naming it and the rule. */
class ConfiguredAccountsTest {

    @TempDir
    Path dir;

    private SecurityConfiguration.ConfiguredUsers load(Map<String, String> properties) throws Exception {
        Map<String, String> all = new HashMap<>(properties);
        all.put("stb.data-dir", dir.toString());
        Binder binder = new Binder(new MapConfigurationPropertySource(all));
        StbProperties stb = binder.bindOrCreate("stb", StbProperties.class);
        SecurityProperties security = binder.bindOrCreate("stb.security", SecurityProperties.class);
        return new SecurityConfiguration().configuredUsers(security, stb, new BCryptPasswordEncoder(4));
    }

    @Test
    void anAccountWithoutPasswordOrRoleOrWithAnUnknownRoleIsAClearStartUpError() {
        assertThatThrownBy(() -> load(Map.of("stb.security.accounts.ops.roles", "ADMIN")))
                .hasMessageContaining("account ops has no password");
        assertThatThrownBy(() -> load(Map.of("stb.security.accounts.ops.password", "ops-secret-password",
                "stb.security.accounts.ops.roles", ""))).hasMessageContaining("account ops has no role");
        assertThatThrownBy(() -> load(Map.of("stb.security.accounts.ops.password", "ops-secret-password",
                "stb.security.accounts.ops.roles", "SUPERUSER"))).hasMessageContaining("unknown role SUPERUSER");
    }

    @Test
    void aPlainPasswordLongerThanBcryptReadsIsRefusedRatherThanCut() {
        assertThatThrownBy(() -> load(Map.of("stb.security.accounts.ops.password", "x".repeat(73),
                "stb.security.accounts.ops.roles", "ADMIN"))).hasMessageContaining("account ops")
                .hasMessageContaining("72 bytes");
    }

    @Test
    void withoutAConfiguredAdminTheInitialAdminIsMadeWithItsPasswordInAFile() throws Exception {
        var users = load(Map.of("stb.security.accounts.view.password", "view-secret-pw",
                "stb.security.accounts.view.roles", "viewer"));
        assertThat(users.users()).containsKeys("admin", "view");
        assertThat(dir.resolve("initial-admin-password")).exists();
        assertThat(users.users().get("admin").getAuthorities()).extracting(Object::toString).contains("ROLE_ADMIN");
    }
}
