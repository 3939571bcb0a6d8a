package org.stbguest.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.stbguest.device.api.DeviceApiJson;
import tools.jackson.databind.JsonNode;

/**
 * Roles and credentials over real HTTP: each role against each endpoint family (allowed calls succeed, the others get
 * 403 with a problem detail and an audit row), API tokens carrying one role, accounts admins create, and revocation
 * that takes effect at the next request.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class RolesApiTest extends ApiTestSupport {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws IOException {
        r.add("stb.data-dir", () -> tempDir());
        r.add("stb.keys.passphrase", () -> "test-passphrase");
        r.add("server.shutdown", () -> "immediate");
        account(r, "root", "ADMIN");
        account(r, "rel", "release-manager");
        account(r, "op", "OPERATOR");
        account(r, "view", "viewer");
        account(r, "dist", "DISTRIBUTOR");
        account(r, "cc", "CALLCENTER");
    }

    private static void account(DynamicPropertyRegistry r, String name, String role) {
        r.add("stb.security.accounts." + name + ".password", () -> ApiTestSupport.quickHash(name + "-secret-pw"));
        r.add("stb.security.accounts." + name + ".roles", () -> role);
    }

    private static String tempDir() {
        try {
            return Files.createTempDirectory("stb-roles-test-").toString();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Autowired
    JdbcClient jdbc;

    private static final AtomicInteger SERIALS = new AtomicInteger();

    /** One representative call per endpoint family, and who may make it. */
    private record Family(String name, String method, String path, String body, Set<String> allowed) {
    }

    private static final List<String> CALLERS = List.of("view", "op", "rel", "root", "dist", "cc");

    private List<Family> families() {
        return List.of(
                new Family("read images", "GET", "/api/images", null, Set.of("view", "op", "rel", "root")),
                new Family("read rollouts", "GET", "/api/rollouts", null, Set.of("view", "op", "rel", "root")),
                new Family("read devices", "GET", "/api/devices", null, Set.of("view", "op", "rel", "root")),
                new Family("metrics", "GET", "/actuator/prometheus", null, Set.of("view", "op", "rel", "root")),
                new Family("OpenAPI", "GET", "/v3/api-docs", null, Set.of("view", "op", "rel", "root")),
                new Family("audit", "GET", "/api/audit", null, Set.of("op", "rel", "root")),
                new Family("enrol", "POST", "/api/devices", "ENROL", Set.of("op", "rel", "root")),
                new Family("image GC", "POST", "/api/images/gc?graceMinutes=60", "{}", Set.of("rel", "root")),
                new Family("accounts", "GET", "/api/accounts", null, Set.of("root")),
                new Family("integrations", "GET", "/api/integrations", null, Set.of("root")),
                new Family("own tokens", "GET", "/api/tokens", null, Set.of("view", "op", "rel", "root")),
                new Family("distributor", "GET", "/api/distributor/transmissions", null, Set.of("dist")),
                new Family("tickets", "POST", "/api/tickets", "TICKET", Set.of("cc", "op", "rel", "root")));
    }

    @Test
    void eachRoleAgainstEachEndpointFamily() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (Family f : families()) {
            for (String caller : CALLERS) {
                HttpResponse<String> r = call(f, basic(caller, caller + "-secret-pw"));
                if (f.allowed().contains(caller)) {
                    if (r.statusCode() / 100 != 2) {
                        wrong.add(caller + " " + f.name() + ": " + r.statusCode() + " " + r.body());
                    }
                } else {
                    if (r.statusCode() != 403) {
                        wrong.add(caller + " " + f.name() + ": expected 403, got " + r.statusCode());
                    } else {
                        JsonNode p = DeviceApiJson.mapper().readTree(r.body());
                        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v ->
                                assertThat(v).contains("application/problem+json"));
                        assertThat(p.get("type").asString()).isEqualTo("urn:stb:problem:forbidden");
                        assertThat(p.get("status").asInt()).isEqualTo(403);
                    }
                }
            }
        }
        assertThat(wrong).as("calls answered against the role table").isEmpty();
        // every refusal is in the audit log, with who and what
        long denied = jdbc.sql("select count(*) from audit_event where action = 'auth.denied' and actor = 'view'"
                + " and target = 'GET /api/accounts'").query(Long.class).single();
        assertThat(denied).isGreaterThanOrEqualTo(1);
    }

    @Test
    void apiTokensCarryOneRoleNoMoreThanTheirOwnersAndRevocationIsImmediate(CapturedOutput output) throws Exception {
        String rootAuth = basic("root", "root-secret-pw");
        JsonNode viewerToken = json(post("/api/tokens", "{\"name\":\"dash\",\"role\":\"viewer\"}", rootAuth), 201);
        String token = viewerToken.get("token").asString();
        assertThat(token).startsWith("stbt_");
        String bearer = "Bearer " + token;
        assertThat(get("/api/images", bearer).statusCode()).isEqualTo(200);
        assertThat(post("/api/devices", enrolBody(), bearer).statusCode()).as("a viewer token enrols nothing")
                .isEqualTo(403);
        assertThat(jdbc.sql("select count(*) from audit_event where action = 'auth.denied' and actor = 'root/token/dash'")
                .query(Long.class).single()).as("the token's refusal audited under its owner").isEqualTo(1);

        // a token cannot mint another (a leaked one would outlive its revocation through its children)
        HttpResponse<String> minted = post("/api/tokens", "{\"name\":\"child\",\"role\":\"viewer\"}", bearer);
        assertThat(minted.statusCode()).isEqualTo(403);
        assertThat(DeviceApiJson.mapper().readTree(minted.body()).get("code").asString())
                .isEqualTo("password-required");
        assertThat(jdbc.sql("select count(*) from audit_event where action = 'auth.denied' and actor = 'root/token/dash'"
                + " and detail = 'password-required'").query(Long.class).single()).isEqualTo(1);
        assertThat(jdbc.sql("select count(*) from api_token where name = 'child'").query(Long.class).single())
                .isZero();

        // a viewer cannot hand on more than it holds; an operator cannot mint a service token
        HttpResponse<String> above = post("/api/tokens", "{\"name\":\"x\",\"role\":\"operator\"}",
                basic("view", "view-secret-pw"));
        assertThat(above.statusCode()).isEqualTo(403);
        assertThat(DeviceApiJson.mapper().readTree(above.body()).get("code").asString()).isEqualTo("role-above-yours");
        assertThat(jdbc.sql("select count(*) from audit_event where action = 'auth.denied' and actor = 'view'"
                + " and detail = 'role-above-yours'").query(Long.class).single()).as("audited").isEqualTo(1);
        assertThat(post("/api/tokens", "{\"name\":\"d\",\"role\":\"distributor\"}", basic("op", "op-secret-pw"))
                .statusCode()).isEqualTo(403);
        assertThat(post("/api/tokens", "{\"name\":\"ok\",\"role\":\"viewer\"}", basic("view", "view-secret-pw"))
                .statusCode()).isEqualTo(201);
        assertThat(post("/api/tokens", "{\"name\":\"ok\",\"role\":\"viewer\"}", basic("view", "view-secret-pw"))
                .statusCode()).as("names are unique per owner").isEqualTo(409);
        assertThat(post("/api/tokens", "{\"name\":\"bad\",\"role\":\"god\"}", rootAuth).statusCode()).isEqualTo(400);
        assertThat(post("/api/tokens", "{\"name\":\"bad\",\"role\":\"viewer\",\"expiresInDays\":0}", rootAuth)
                .statusCode()).isEqualTo(400);

        // the viewer sees only its own tokens and cannot revoke the admin's; the admin sees all
        JsonNode viewersList = json(get("/api/tokens", basic("view", "view-secret-pw")), 200);
        assertThat(viewersList).allSatisfy(t -> assertThat(t.get("owner").asString()).isEqualTo("view"));
        assertThat(viewersList.toString()).doesNotContain("stbt_");
        long dashId = viewerToken.get("id").asLong();
        assertThat(post("/api/tokens/" + dashId + "/revoke", "{}", basic("view", "view-secret-pw")).statusCode())
                .isEqualTo(404);
        assertThat(json(get("/api/tokens", rootAuth), 200).size()).isGreaterThanOrEqualTo(2);

        // the distributor's service token, made by an admin, reaches the distributor API and nothing else
        String dist = "Bearer " + json(post("/api/tokens", "{\"name\":\"headend-1\",\"role\":\"DISTRIBUTOR\"}",
                rootAuth), 201).get("token").asString();
        assertThat(get("/api/distributor/transmissions", dist).statusCode()).isEqualTo(200);
        assertThat(get("/api/images", dist).statusCode()).isEqualTo(403);

        // revoked: the very next request fails
        assertThat(post("/api/tokens/" + dashId + "/revoke", "{}", rootAuth).statusCode()).isEqualTo(200);
        assertThat(get("/api/images", bearer).statusCode()).isEqualTo(401);
        // expired: likewise
        jdbc.sql("update api_token set expires_at = now() - interval '1 second' where name = 'headend-1'").update();
        assertThat(get("/api/distributor/transmissions", dist).statusCode()).isEqualTo(401);
        // a token whose account is gone (an account removed from the configuration) fails, whatever its role
        String ghost = "stbt_ghost-token-of-an-account-no-longer-configured-0000";
        jdbc.sql("insert into api_token (name, owner, role, token_hash, created_at) values ('old', 'ghost', 'ADMIN', :h,"
                + " now())").param("h", org.stbguest.image.Digest.sha256(ghost.getBytes(StandardCharsets.UTF_8)).hex())
                .update();
        assertThat(get("/api/images", "Bearer " + ghost).statusCode()).isEqualTo(401);
        // forged, truncated and foreign tokens
        assertThat(get("/api/images", "Bearer stbt_" + "A".repeat(43)).statusCode()).isEqualTo(401);
        assertThat(get("/api/images", "Bearer " + token.substring(0, token.length() - 1)).statusCode()).isEqualTo(401);
        assertThat(get("/api/images", "Bearer " + "x".repeat(5000)).statusCode()).isEqualTo(401);

        // the secret is shown once and stored hashed: in no log, audit row or table
        assertThat(output.getAll()).doesNotContain(token);
        assertThat(jdbc.sql("select count(*) from audit_event where detail like :t or target like :t")
                .param("t", "%" + token.substring(5, 20) + "%").query(Long.class).single()).isZero();
        assertThat(jdbc.sql("select count(*) from api_token where token_hash = :t").param("t", token)
                .query(Long.class).single()).isZero();
        assertThat(jdbc.sql("select count(*) from audit_event where action in ('token.create', 'token.revoke')")
                .query(Long.class).single()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void adminsCreateAndDisableAccountsAndADisabledAccountAndItsTokensFailAtOnce() throws Exception {
        String rootAuth = basic("root", "root-secret-pw");
        assertThat(post("/api/accounts", "{\"name\":\"carol\",\"password\":\"short\",\"role\":\"operator\"}", rootAuth)
                .statusCode()).as("a weak password").isEqualTo(400);
        assertThat(post("/api/accounts", "{\"name\":\"carol\",\"password\":\"carol-long-password\",\"role\":\"distributor\"}",
                rootAuth).statusCode()).as("services use tokens, not accounts").isEqualTo(400);
        assertThat(post("/api/accounts", "{\"name\":\"op\",\"password\":\"another-long-password\",\"role\":\"viewer\"}",
                rootAuth).statusCode()).as("a configured name").isEqualTo(409);
        assertThat(post("/api/accounts", "{\"name\":\"carol\",\"password\":\"carol-long-password\",\"role\":\"operator\"}",
                basic("rel", "rel-secret-pw")).statusCode()).as("only admins manage accounts").isEqualTo(403);
        JsonNode carol = json(post("/api/accounts",
                "{\"name\":\"carol\",\"password\":\"carol-long-password\",\"role\":\"operator\"}", rootAuth), 201);
        assertThat(carol.toString()).doesNotContain("carol-long-password");
        assertThat(jdbc.sql("select password_hash from operator_account where name = 'carol'").query(String.class)
                .single()).startsWith("{bcrypt}");

        String carolAuth = basic("carol", "carol-long-password");
        assertThat(post("/api/devices", enrolBody(), carolAuth).statusCode()).isEqualTo(201);
        assertThat(post("/api/images/gc", "{}", carolAuth).statusCode()).as("an operator is no release manager")
                .isEqualTo(403);
        assertThat(get("/api/images", basic("carol", "wrong-password-x")).statusCode()).isEqualTo(401);
        String carolToken = "Bearer " + json(post("/api/tokens", "{\"name\":\"cli\",\"role\":\"operator\"}", carolAuth),
                201).get("token").asString();
        assertThat(post("/api/devices", enrolBody(), carolToken).statusCode()).isEqualTo(201);

        JsonNode me = json(get("/api/me", carolToken), 200);
        assertThat(me.get("name").asString()).isEqualTo("carol");
        assertThat(me.get("role").asString()).isEqualTo("OPERATOR");
        assertThat(me.get("token").asBoolean()).isTrue();

        // carol changes her password, giving the current one; never with a token
        assertThat(post("/api/me/password", "{\"currentPassword\":\"not-carols-password\",\"password\":\"carol-new-password\"}",
                carolAuth).statusCode()).as("a wrong current password").isEqualTo(403);
        assertThat(post("/api/me/password", "{\"currentPassword\":\"carol-long-password\",\"password\":\"carol-new-password\"}",
                carolToken).statusCode()).as("with a token").isEqualTo(403);
        assertThat(post("/api/me/password", "{\"currentPassword\":\"carol-long-password\",\"password\":\"short\"}",
                carolAuth).statusCode()).isEqualTo(400);
        assertThat(post("/api/me/password", "{\"currentPassword\":\"carol-long-password\",\"password\":\"carol-new-password\"}",
                carolAuth).statusCode()).isEqualTo(204);
        assertThat(get("/api/images", carolAuth).statusCode()).as("the old password").isEqualTo(401);
        carolAuth = basic("carol", "carol-new-password");
        assertThat(get("/api/images", carolAuth).statusCode()).isEqualTo(200);
        assertThat(post("/api/me/password", "{\"currentPassword\":\"op-secret-pw\",\"password\":\"op-new-password-x\"}",
                basic("op", "op-secret-pw")).statusCode()).as("a configured account").isEqualTo(409);
        // an admin resets it; nobody else may
        assertThat(post("/api/accounts/carol/password", "{\"password\":\"carol-reset-password\"}",
                basic("rel", "rel-secret-pw")).statusCode()).isEqualTo(403);
        assertThat(post("/api/accounts/carol/password", "{\"password\":\"carol-reset-password\"}", rootAuth)
                .statusCode()).isEqualTo(204);
        carolAuth = basic("carol", "carol-reset-password");
        assertThat(get("/api/images", carolAuth).statusCode()).isEqualTo(200);
        assertThat(jdbc.sql("select count(*) from audit_event where action in ('account.password_change',"
                + " 'account.password_reset', 'account.password_refused') and target = 'account/carol'")
                .query(Long.class).single()).isEqualTo(3);

        JsonNode disabled = json(post("/api/accounts/carol/disable", "{}", rootAuth), 200);
        assertThat(disabled.get("disabledAt").isNull()).isFalse();
        assertThat(get("/api/images", carolAuth).statusCode()).as("disabled: the password fails at once").isEqualTo(401);
        assertThat(get("/api/images", carolToken).statusCode()).as("and so do its tokens").isEqualTo(401);
        assertThat(post("/api/accounts/op/disable", "{}", rootAuth).statusCode()).as("a configured account")
                .isEqualTo(409);
        assertThat(post("/api/accounts/carol/disable", "{}", rootAuth).statusCode()).isEqualTo(404);
        JsonNode all = json(get("/api/accounts", rootAuth), 200);
        assertThat(all.toString()).doesNotContain("secret-pw").contains("\"source\":\"configuration\"");
        assertThat(jdbc.sql("select count(*) from audit_event where action in ('account.create', 'account.disable')"
                + " and target = 'account/carol'").query(Long.class).single()).isEqualTo(2);
        assertThat(get("/api/me", rootAuth).body()).contains("\"role\":\"ADMIN\"");
    }

    @Test
    void aDeviceTokenReachesOnlyTheDeviceApi() throws Exception {
        String rootAuth = basic("root", "root-secret-pw");
        JsonNode one = json(post("/api/devices", enrolBody(), rootAuth), 201);
        JsonNode other = json(post("/api/devices", enrolBody(), rootAuth), 201);
        String device = "Bearer " + one.get("token").asString();
        assertThat(post("/api/device/check-in", "{\"roles\":[]}", device).statusCode()).isEqualTo(200);
        assertThat(get("/api/devices/" + other.get("deviceId").asString(), device).statusCode())
                .as("another device's record").isEqualTo(401);
        assertThat(get("/api/devices/" + one.get("deviceId").asString(), device).statusCode())
                .as("even its own operator record").isEqualTo(401);
        assertThat(get("/api/images", device).statusCode()).isEqualTo(401);
        assertThat(get("/api/distributor/transmissions", device).statusCode()).isEqualTo(401);
        assertThat(post("/api/telemetry/tickets", "{}", device).statusCode()).isEqualTo(401);
        // and an operator's credentials are no device's
        assertThat(post("/api/device/check-in", "{\"roles\":[]}", rootAuth).statusCode()).isEqualTo(401);
        String opToken = "Bearer " + json(post("/api/tokens", "{\"name\":\"as-device\",\"role\":\"operator\"}",
                rootAuth), 201).get("token").asString();
        assertThat(post("/api/device/check-in", "{\"roles\":[]}", opToken).statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> call(Family f, String auth) throws Exception {
        String body = f.body() == null ? null : switch (f.body()) {
            case "ENROL" -> enrolBody();
            case "TICKET" -> "{\"serial\":\"UNKNOWN-" + SERIALS.incrementAndGet() + "\",\"category\":\"no-picture\","
                    + "\"externalId\":\"roles-" + SERIALS.incrementAndGet() + "\"}";
            default -> f.body();
        };
        return f.method().equals("GET") ? get(f.path(), auth) : post(f.path(), body, auth);
    }

    private static String enrolBody() {
        return "{\"serial\":\"ROLES-" + SERIALS.incrementAndGet() + "\",\"hardwareModel\":\"stb-x1\"}";
    }

    private JsonNode json(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return DeviceApiJson.mapper().readTree(r.body());
    }

}
