package org.stbguest.stbctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.stbguest.operator.OperatorServerApplication;

/**
 * stbctl against a real operator server on its embedded PostgreSQL: leave the development key set for offline keys,
 * push an image, sign it offline 2 of 3, release it, verify files as a box would, rotate the root keys.
 */
class StbctlTest {

    @TempDir
    static Path dir;
    static ConfigurableApplicationContext server;
    static String url;
    static Path password;
    static Path passphrase;

    @BeforeAll
    static void startServer() throws Exception {
        server = new SpringApplicationBuilder(OperatorServerApplication.class).properties(Map.of(
                "server.port", "0", "server.address", "127.0.0.1", "stb.data-dir", dir.resolve("server").toString(),
                "stb.keys.passphrase", "server-secret", "stb.security.accounts.ops.password", "ops-secret",
                "stb.security.accounts.ops.roles", "ADMIN", "spring.main.banner-mode", "off")).run();
        url = "http://127.0.0.1:" + server.getEnvironment().getProperty("local.server.port");
        password = Files.writeString(dir.resolve("password"), "ops-secret\n");
        passphrase = Files.writeString(dir.resolve("passphrase"), "offline-secret\n");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    record Run(int exit, String out, String err) {
    }

    private static Run stbctl(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Stbctl.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static String[] withServer(String... args) {
        String[] all = new String[args.length + 6];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[] {"--server", url, "--user", "ops", "--password-file", password.toString()}, 0,
                all, args.length, 6);
        return all;
    }

    @Test
    void offlineKeysSignImagesThatBoxesCanVerify() throws Exception {
        Path keys = dir.resolve("keys");
        Run init = stbctl("keys", "init", "--dir", keys.toString(), "--passphrase-file", passphrase.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        assertThat(Files.list(keys.resolve("root")).filter(p -> p.toString().endsWith(".key"))).hasSize(3);
        assertThat(stbctl("keys", "init", "--dir", keys.toString(), "--passphrase-file", passphrase.toString()).exit())
                .as("init refuses to overwrite keys").isEqualTo(1);

        Run rotate = stbctl(withServer("keys", "rotate", "--dir", keys.toString(), "--passphrase-file", passphrase.toString()));
        assertThat(rotate.exit()).as(rotate.err()).isZero();
        assertThat(rotate.out()).contains("published key set v2: root 2/3, release 2/3");
        assertThat(stbctl(withServer("keys", "list")).out()).contains("key set v2 (chain verified from v1)");

        byte[] image = new byte[1_500_000];
        new Random(1).nextBytes(image);
        Path file = Files.write(dir.resolve("guest.img"), image);
        Run push = stbctl(withServer("image", "push", file.toString(), "--role", "entertainment", "--version", "7",
                "--security-version", "2", "--models", "stb-x1,stb-x2"));
        assertThat(push.exit()).as(push.err()).isZero();
        assertThat(push.err()).contains("upload [", "100%");
        Matcher m = Pattern.compile("image (\\d+) ").matcher(push.out());
        assertThat(m.find()).isTrue();
        String id = m.group(1);
        assertThat(push.out()).contains("DRAFT");

        Run unsigned = stbctl(withServer("image", "release", id));
        assertThat(unsigned.exit()).isEqualTo(1);
        assertThat(unsigned.err()).contains("0 valid signature(s)", "2 required");

        assertThat(stbctl(withServer("image", "sign", id, "--dir", keys.toString(), "--passphrase-file",
                passphrase.toString(), "--max", "1")).exit()).isZero();
        assertThat(stbctl(withServer("image", "release", id)).err()).contains("1 valid signature(s)");
        assertThat(stbctl(withServer("image", "sign", id, "--dir", keys.toString(), "--passphrase-file",
                passphrase.toString())).exit()).isZero();
        Run release = stbctl(withServer("image", "release", id));
        assertThat(release.exit()).as(release.err()).isZero();
        assertThat(release.out()).contains("RELEASED");

        Run verify = stbctl(withServer("image", "verify", file.toString(), "--image", id));
        assertThat(verify.exit()).as(verify.err()).isZero();
        assertThat(verify.out()).contains("OK", "key set v2");

        byte[] tampered = image.clone();
        tampered[300_000] ^= 1;
        Run bad = stbctl(withServer("image", "verify", Files.write(dir.resolve("tampered.img"), tampered).toString(), "--image", id));
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("TAMPERED_CHUNK", "chunk 1");

        Run truncated = stbctl(withServer("image", "verify", Files.write(dir.resolve("short.img"),
                java.util.Arrays.copyOf(image, image.length - 100)).toString(), "--image", id));
        assertThat(truncated.exit()).isEqualTo(1);
        assertThat(truncated.err()).contains("TRUNCATED");

        Run newRoot = stbctl(withServer("keys", "rotate", "--dir", keys.toString(), "--passphrase-file",
                passphrase.toString(), "--new-root"));
        assertThat(newRoot.exit()).as(newRoot.err()).isZero();
        assertThat(newRoot.out()).contains("published key set v3");
        assertThat(Files.list(keys.resolve("retired").resolve("root"))).isNotEmpty();
        assertThat(stbctl(withServer("keys", "list")).out()).contains("key set v3 (chain verified from v1)");

        Run revoke = stbctl(withServer("image", "revoke", id));
        assertThat(revoke.out()).contains("REVOKED");
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] c : new String[][] {{"--help"}, {"keys", "--help"}, {"keys", "init", "--help"},
                {"keys", "rotate", "--help"}, {"keys", "list", "--help"}, {"image", "--help"}, {"image", "push", "--help"},
                {"image", "sign", "--help"}, {"image", "verify", "--help"}, {"image", "release", "--help"},
                {"image", "revoke", "--help"}, {"token", "--help"}, {"token", "create", "--help"},
                {"token", "list", "--help"}, {"token", "revoke", "--help"}}) {
            Run r = stbctl(c);
            assertThat(r.exit()).as(String.join(" ", c)).isZero();
            assertThat(r.out()).startsWith("Usage: stbctl");
        }
    }

    @Test
    void aWrongPasswordIsAClearError() throws Exception {
        Path wrong = Files.writeString(dir.resolve("wrong"), "nope");
        Run release = stbctl("image", "release", "1", "--server", url, "--user", "ops", "--password-file", wrong.toString());
        assertThat(release.exit()).isEqualTo(1);
        assertThat(release.err()).startsWith("stbctl: error:").contains("401");
        // the chain is public: without credentials at all, anyone can list and verify it
        Run anonymous = stbctl("keys", "list", "--server", url);
        assertThat(anonymous.exit()).as(anonymous.err()).isZero();
        assertThat(anonymous.out()).contains("chain verified from v1");
    }

    @Test
    void aTokenMadeWithAPasswordWorksInItsPlaceUntilRevoked() throws Exception {
        Run create = stbctl(withServer("token", "create", "cli-test", "--role", "viewer", "--days", "7"));
        assertThat(create.exit()).as(create.err()).isZero();
        String token = create.out().trim();
        assertThat(token).startsWith("stbt_").doesNotContain("\n");
        assertThat(create.err()).contains("role VIEWER").contains("expires");
        Path tokenFile = Files.writeString(dir.resolve("token"), token + "\n");

        Run list = stbctl("token", "list", "--server", url, "--token-file", tokenFile.toString());
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains("cli-test").contains("VIEWER").contains("live").doesNotContain(token);
        // a viewer's token lists but does not release
        Run release = stbctl("image", "release", "1", "--server", url, "--token-file", tokenFile.toString());
        assertThat(release.exit()).isEqualTo(1);
        assertThat(release.err()).contains("403");
        // nor makes another token: that takes the account's password
        Run mint = stbctl("token", "create", "child", "--role", "viewer", "--server", url, "--token-file",
                tokenFile.toString());
        assertThat(mint.exit()).isEqualTo(1);
        assertThat(mint.err()).contains("403").contains("password");

        String id = list.out().lines().filter(l -> l.contains("cli-test")).findFirst().orElseThrow().trim()
                .split("\\s+")[0];
        Run revoke = stbctl(withServer("token", "revoke", id));
        assertThat(revoke.exit()).as(revoke.err()).isZero();
        assertThat(revoke.out()).contains("revoked");
        Run after = stbctl("token", "list", "--server", url, "--token-file", tokenFile.toString());
        assertThat(after.exit()).isEqualTo(1);
        assertThat(after.err()).contains("401");
    }
}
