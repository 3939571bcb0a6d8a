package org.stbguest.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.Statement;
import org.stbguest.image.trust.StatementCodec;
import tools.jackson.databind.JsonNode;

/**
 * The check-in path over real HTTP on the embedded PostgreSQL: an answer leaves out what the box says it has (the
 * manifest of an image a slot holds, statements up to the sequence numbers it names, key sets up to its version);
 * what changes (a rollout started, a wave, a rollback) reaches the very next check-in although answers come from a
 * cache; states are written in batches yet every read sees them, and a report is never overwritten by an older
 * check-in; a box that checks in too often gets 429, and only that box.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CheckInApiTest extends ApiTestSupport {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws IOException {
        var dataDir = Files.createTempDirectory("stb-check-in-test-");
        r.add("stb.data-dir", dataDir::toString);
        r.add("stb.rollout-tick", () -> "200ms");
        r.add("stb.keys.passphrase", () -> "test-passphrase");
        r.add("server.shutdown", () -> "immediate");
        r.add("stb.security.accounts.ops.password", () -> ApiTestSupport.quickHash("ops-secret"));
        r.add("stb.security.accounts.ops.roles", () -> "ADMIN");
        r.add("stb.limits.check-ins-per-minute", () -> "40");
        // a long write interval: only the flush before a read can make a check-in visible this soon
        r.add("stb.limits.check-in-write-interval", () -> "1h");
    }

    private static final String OPS = HardeningApiTest.basic("ops", "ops-secret");

    record Box(UUID id, String token) {
    }

    @Test
    void anAnswerLeavesOutWhatTheBoxHasAndCarriesEveryChangeAtOnce() throws Exception {
        String v1 = upload("cached", 1, 41);
        String v2 = upload("cached", 2, 42);
        Box box = enrol("CACHE-1", "stb-k");
        Map<String, Long> none = Map.of();
        DesiredState idle = checkIn(box, v1, null, none, 1);
        assertThat(idle.roles()).as("no rollout yet").isEmpty();
        assertThat(idle.keySets()).as("the box has key set v1").isEmpty();
        assertThat(checkIn(box, v1, null, none, 0).keySets()).as("a box with no key set gets the chain").isNotEmpty();

        long id = json(post("/api/rollouts", "{\"imageId\":" + ids.get(v2) + ",\"waves\":[{\"share\":1.0}]}", OPS))
                .get("id").asLong();
        post("/api/rollouts/" + id + "/start", "{}", OPS);
        DesiredState staging = checkIn(box, v1, null, none, 1);
        assertThat(offered(staging)).as("the started rollout reaches the next check-in").isEqualTo(v2);
        assertThat(checkIn(box, v1, v2, none, 1).roles()).as("a box that holds v2 is not sent its manifest again")
                .isEmpty();

        post("/api/rollouts/" + id + "/advance", "{}", OPS);
        DesiredState wave = checkIn(box, v1, v2, none, 1);
        Map<String, Long> held = sequences(wave);
        assertThat(activations(wave)).as("the wave's activation reaches the next check-in").containsExactly(v2);
        assertThat(checkIn(box, v2, v1, held, 1).statements()).as("statements the box has are left out").isEmpty();

        post("/api/rollouts/" + id + "/rollback", "{\"reason\":\"test\"}", OPS);
        DesiredState back = checkIn(box, v2, v1, held, 1);
        assertThat(activations(back)).as("the rollback reaches the next check-in, newer than what the box has")
                .containsExactly(v1);
        assertThat(back.roles()).as("the box holds v1: no manifest").isEmpty();
        Box other = enrol("CACHE-2", "stb-k");
        assertThat(offered(checkIn(other, v2, null, none, 1))).as("a box without v1 is offered it").isEqualTo(v1);
    }

    @Test
    void aCheckInIsWrittenInTheBackgroundYetSeenByTheNextReadAndNeverOverwritesANewerReport() throws Exception {
        String v1 = upload("written", 1, 51);
        String v2 = upload("written", 2, 52);
        Box box = enrol("WRITE-1", "stb-w");
        checkIn(box, "written", v1, v2, Map.of(), 1);
        JsonNode seen = json(get("/api/devices/" + box.id(), OPS));
        assertThat(seen.get("lastCheckIn").isNull()).as("last seen, with a write interval of an hour").isFalse();
        assertThat(seen.get("activeDigestByRole").get("written").asString()).isEqualTo(v1);

        // queued: the box runs v1; then it reports v2 committed; the queued state is older and must not win
        checkIn(box, "written", v1, v2, Map.of(), 1);
        assertThat(post("/api/device/reports", "{\"type\":\"ACTIVATED\",\"role\":\"written\",\"digest\":\"" + v2
                + "\",\"slot\":\"B\"}", "Bearer " + box.token()).statusCode()).isEqualTo(202);
        assertThat(json(get("/api/devices/" + box.id(), OPS)).get("activeDigestByRole").get("written").asString())
                .isEqualTo(v2);
    }

    @Test
    void aBoxThatChecksInTooOftenGets429AndNoOtherBoxDoes() throws Exception {
        Box noisy = enrol("NOISY-1", "stb-n");
        Box quiet = enrol("QUIET-1", "stb-n");
        String body = "{\"keySetVersion\":1,\"roles\":[]}";
        int ok = 0;
        HttpResponse<String> last = null;
        for (int i = 0; i < 60; i++) {
            last = post("/api/device/check-in", body, "Bearer " + noisy.token());
            if (last.statusCode() != 200) {
                break;
            }
            ok++;
        }
        assertThat(ok).as("the burst allowed, and what refilled meanwhile").isBetween(40, 45);
        assertThat(last.statusCode()).isEqualTo(429);
        assertThat(json(last).get("code").asString()).isEqualTo("check-in-rate-exceeded");
        assertThat(post("/api/device/check-in", body, "Bearer " + quiet.token()).statusCode())
                .as("boxes are limited one by one, never by address").isEqualTo(200);
    }

    // ---- helpers

    @Test
    void theMetricsCountCheckInsWithoutATimerPerSecurityFilter() throws Exception {
        String v1 = upload("metered", 1, 61);
        Box box = enrol("METER-1", "stb-m");
        checkIn(box, "metered", v1, null, Map.of(), 1);
        HttpResponse<String> metrics = get("/actuator/prometheus", OPS);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("stb_checkins_total", "stb_checkin_answer_seconds_count",
                "stb_checkin_queued", "stb_reports_total", "stb_rollouts", "stb_password_checks_total");
        assertThat(metrics.body().lines().filter(l -> l.startsWith("http_server_requests_seconds_count{")))
                .as("requests are still timed, per endpoint")
                .anyMatch(l -> l.contains("uri=\"/api/device/check-in\""));
        // what cost a seventh of a check-in's CPU: Spring Security's observations, an active-request timer
        assertThat(metrics.body()).doesNotContain("spring_security_", "http_server_requests_active");
    }

    private DesiredState checkIn(Box b, String active, String other, Map<String, Long> statements, long keySet)
            throws Exception {
        return DeviceApiJson.mapper().readValue(checkIn(b, "cached", active, other, statements, keySet).body(),
                DesiredState.class);
    }

    private HttpResponse<String> checkIn(Box b, String role, String active, String other, Map<String, Long> statements,
                                         long keySet) throws Exception {
        String slots = "{\"slot\":\"A\",\"digest\":\"" + active + "\",\"version\":1,\"securityVersion\":0,"
                + "\"successful\":true}" + (other == null ? "" : ",{\"slot\":\"B\",\"digest\":\"" + other
                + "\",\"version\":2,\"securityVersion\":0,\"successful\":true}");
        String body = "{\"keySetVersion\":" + keySet + ",\"roles\":[{\"role\":\"" + role + "\",\"activeSlot\":\"A\","
                + "\"activeDigest\":\"" + active + "\",\"slots\":[" + slots + "]}],\"statements\":"
                + DeviceApiJson.mapper().writeValueAsString(statements) + "}";
        HttpResponse<String> r = post("/api/device/check-in", body, "Bearer " + b.token());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r;
    }

    private static String offered(DesiredState state) {
        return state.roles().stream().findFirst()
                .map(d -> d.stage().manifest().unverifiedManifest().rootDigest().hex()).orElse(null);
    }

    private static java.util.List<String> activations(DesiredState state) {
        return state.statements().stream().map(s -> StatementCodec.decode(s.bytes()).statement())
                .filter(s -> s instanceof Statement.Activate).map(s -> ((Statement.Activate) s).image().hex())
                .toList();
    }

    private static Map<String, Long> sequences(DesiredState state) {
        Map<String, Long> out = new HashMap<>();
        for (SignedStatement s : state.statements()) {
            var e = StatementCodec.decode(s.bytes());
            out.merge(e.statement().sequenceKey(), e.sequence(), Math::max);
        }
        return out;
    }

    private Box enrol(String serial, String model) throws Exception {
        JsonNode n = json(post("/api/devices", "{\"serial\":\"" + serial + "\",\"hardwareModel\":\"" + model + "\"}",
                OPS));
        return new Box(UUID.fromString(n.get("deviceId").asString()), n.get("token").asString());
    }

    private final Map<String, Long> ids = new HashMap<>();

    private String upload(String role, int version, long seed) throws Exception {
        String model = role.equals("cached") ? "stb-k" : "stb-w";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/images?role=" + role + "&version="
                        + version + "&models=" + model)).header("Authorization", OPS)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(HardeningApiTest.bytes(10_000, seed))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        long id = json(r).get("id").asLong();
        post("/api/images/" + id + "/release", "{}", OPS);
        String root = json(r).get("rootDigest").asString();
        ids.put(root, id);
        return root;
    }

}
