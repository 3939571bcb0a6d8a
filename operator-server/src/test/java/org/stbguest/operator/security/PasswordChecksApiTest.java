package org.stbguest.operator.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * HTTP Basic on a server busy checking passwords (every turn taken, as by a spray of guesses): a login that finds no
 * turn gets 503 with Retry-After and is neither audited as a failure nor counted towards a lock-out; a password that
 * matched a moment ago is remembered and goes through without a turn; a changed password is not.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PasswordChecksApiTest {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws Exception {
        String dir = Files.createTempDirectory("stb-password-checks-").toString();
        r.add("stb.data-dir", () -> dir);
        r.add("stb.keys.passphrase", () -> "test-passphrase");
        r.add("server.shutdown", () -> "immediate");
        r.add("stb.security.accounts.root.password", () -> "root-secret-pw");
        r.add("stb.security.accounts.root.roles", () -> "ADMIN");
        r.add("stb.security.accounts.idle.password", () -> "idle-secret-pw");
        r.add("stb.security.accounts.idle.roles", () -> "VIEWER");
        r.add("stb.security.password-checks.concurrency", () -> "1");
        r.add("stb.security.password-checks.max-wait", () -> "50ms");
        r.add("stb.limits.login-failures", () -> "3");
        r.add("stb.security.password-checks.per-second", () -> "1000"); // the rate has its own test: here, turns
    }

    @Value("${local.server.port}")
    int port;
    @Autowired
    PasswordEncoder encoder;
    @Autowired
    JdbcClient jdbc;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String path, String user, String password) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                        .getBytes(StandardCharsets.UTF_8))).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String json, String user, String password) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                        .getBytes(StandardCharsets.UTF_8))).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private long failures() {
        return jdbc.sql("select count(*) from audit_event where action = 'auth.login_failed'").query(Long.class).single();
    }

    @Test
    void passwordsLongerThanBcryptTakesAreAClearAnswerNotAnError() throws Exception {
        String longPassword = "p".repeat(100); // bcrypt takes 72 bytes at most
        assertThat(get("/api/images", "root", longPassword).statusCode()).isEqualTo(401);
        assertThat(get("/api/images", "nobody-long", longPassword).statusCode()).isEqualTo(401);
        HttpResponse<String> create = post("/api/accounts", "{\"name\":\"erin\",\"password\":\"" + longPassword
                + "\",\"role\":\"viewer\"}", "root", "root-secret-pw");
        assertThat(create.statusCode()).as(create.body()).isEqualTo(400);
        assertThat(create.body()).contains("urn:stb:problem:weak-password", "72 bytes");
        assertThat(post("/api/accounts", "{\"name\":\"erin\",\"password\":\"" + "é".repeat(40)
                + "\",\"role\":\"viewer\"}", "root", "root-secret-pw").statusCode())
                .as("80 bytes in 40 characters").isEqualTo(400);
    }

    @Test
    void aBusyServerAnswers503WithoutCountingAFailureAndARememberedPasswordStillGetsIn() throws Exception {
        PasswordChecks checks = (PasswordChecks) encoder;
        assertThat(post("/api/accounts", "{\"name\":\"dana\",\"password\":\"dana-long-password\",\"role\":\"viewer\"}",
                "root", "root-secret-pw").statusCode()).isEqualTo(201);
        assertThat(get("/api/images", "dana", "dana-long-password").statusCode()).isEqualTo(200); // remembered now
        long failuresBefore = failures();

        checks.turns().acquire(); // every turn taken
        try {
            for (int i = 0; i < 5; i++) { // more than the lock-out's 3
                HttpResponse<String> busy = get("/api/images", "root", "guess-" + i);
                assertThat(busy.statusCode()).isEqualTo(503);
                assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(busy.headers().firstValue("Content-Type")).hasValueSatisfying(t ->
                        assertThat(t).startsWith("application/problem+json"));
                assertThat(busy.body()).contains("urn:stb:problem:password-checks-busy");
            }
            assertThat(get("/api/images", "nobody-" + System.nanoTime(), "x").statusCode())
                    .as("an invented name costs a check too, and finds no turn").isEqualTo(503);
            assertThat(get("/api/images", "dana", "dana-long-password").statusCode())
                    .as("a password that matched a moment ago needs no turn").isEqualTo(200);
            assertThat(get("/api/images", "idle", "idle-secret-pw").statusCode())
                    .as("a right password not seen yet waits for a turn like any other").isEqualTo(503);
            // a password change checks the current password too: busy is a 503 to retry, not a wrong password
            HttpResponse<String> change = post("/api/me/password",
                    "{\"currentPassword\":\"not-dana's\",\"password\":\"dana-other-password\"}", "dana",
                    "dana-long-password");
            assertThat(change.statusCode()).as(change.body()).isEqualTo(503);
            assertThat(change.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(change.body()).contains("urn:stb:problem:password-checks-busy");
        } finally {
            checks.turns().release();
        }
        assertThat(failures()).as("no password was checked, so no failure").isEqualTo(failuresBefore);
        assertThat(get("/api/images", "idle", "idle-secret-pw").statusCode()).isEqualTo(200);
        assertThat(checks.remembered()).isGreaterThanOrEqualTo(3); // root, dana, idle
        // root is not locked out by the five guesses that were never checked: one more wrong one is a plain 401
        assertThat(get("/api/images", "root", "guess-again").statusCode()).isEqualTo(401);
        assertThat(get("/api/images", "root", "root-secret-pw").statusCode()).as("not locked out").isEqualTo(200);

        // the admin resets dana's password: the remembered old one is refused at once
        assertThat(post("/api/accounts/dana/password", "{\"password\":\"dana-reset-password\"}", "root",
                "root-secret-pw").statusCode()).isEqualTo(204);
        assertThat(get("/api/images", "dana", "dana-long-password").statusCode()).isEqualTo(401);
        assertThat(failures()).isEqualTo(failuresBefore + 2);
        assertThat(get("/api/images", "dana", "dana-reset-password").statusCode()).isEqualTo(200);
        // disabled: refused although its password is remembered
        assertThat(post("/api/accounts/dana/disable", "{}", "root", "root-secret-pw").statusCode()).isBetween(200, 204);
        assertThat(get("/api/images", "dana", "dana-reset-password").statusCode()).isEqualTo(401);
    }
}
