package org.stbguest.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.stbguest.image.trust.Statement;
import tools.jackson.databind.JsonNode;

/**
 * The sequential guard live, over real HTTP on the embedded PostgreSQL: boxes report what they run, a rollout
 * activates its first wave, and complaints from that wave's boxes (against none from the boxes still on the old
 * image) halt and roll it back; the series of evaluations is there for the console. Complaints from the old image
 * alone halt nothing.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GuardApiTest extends ApiTestSupport {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws IOException {
        var dataDir = Files.createTempDirectory("stb-guard-test-");
        r.add("stb.data-dir", dataDir::toString);
        r.add("stb.rollout-tick", () -> "200ms");
        r.add("stb.guard.interval", () -> "200ms");
        r.add("stb.keys.passphrase", () -> "test-passphrase");
        // the test JVM closes its contexts at exit: no graceful wait for requests a hostile test left open
        r.add("server.shutdown", () -> "immediate");
        r.add("stb.security.accounts.ops.password", () -> ApiTestSupport.quickHash("ops-secret"));
        r.add("stb.security.accounts.ops.roles", () -> "ADMIN");
        r.add("stb.security.accounts.cc.password", () -> ApiTestSupport.quickHash("cc-secret"));
        r.add("stb.security.accounts.cc.roles", () -> "CALLCENTER");
        r.add("stb.guard.calibration-runs", () -> "4000");
    }

    private static final String OPS = HardeningApiTest.basic("ops", "ops-secret");
    private static final String CC = HardeningApiTest.basic("cc", "cc-secret");

    record Box(UUID id, String token) {
    }

    @Test
    void complaintsFromTheFirstWaveHaltTheRolloutAndOnesFromTheOldImageDoNot() throws Exception {
        String v1 = upload(1, 11);
        String v2 = upload(2, 12);
        List<Box> boxes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            JsonNode n = json(post("/api/devices", "{\"serial\":\"GUARD-" + i + "\",\"hardwareModel\":\"stb-g\"}", OPS));
            boxes.add(new Box(UUID.fromString(n.get("deviceId").asString()), n.get("token").asString()));
        }
        long id = json(post("/api/rollouts", "{\"imageId\":" + imageId(v2) + ",\"waves\":[{\"count\":4,\"minSoak\":"
                + "\"PT1H\"},{\"share\":1.0}]}", OPS)).get("id").asLong();
        post("/api/rollouts/" + id + "/start", "{}", OPS);
        for (Box b : boxes) {
            checkIn(b, v1, v2); // every box holds v2 in its other slot
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> json(get("/api/rollouts/" + id, OPS)).get("wave").asInt() == 1);
        List<Box> wave = boxes.stream().sorted(Comparator.comparingLong(b -> Statement.Cohort.rank(id, b.id())))
                .limit(4).toList();
        for (Box b : wave) {
            checkIn(b, v2, v1); // the wave's boxes switched
        }
        List<Box> old = boxes.stream().filter(b -> !wave.contains(b)).toList();
        await().atMost(Duration.ofSeconds(30)).until(() -> !json(get("/api/rollouts/" + id + "/guard", OPS))
                .get("evaluations").isEmpty());

        // complaints from boxes on the old image only: evidence for "no worse", nothing halts
        for (int i = 0; i < 12; i++) {
            post("/api/tickets", "{\"deviceId\":\"" + old.get(i % old.size()).id() + "\",\"category\":\"no-picture\"}", CC);
        }
        int before = json(get("/api/rollouts/" + id + "/guard", OPS)).get("evaluations").size();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                json(get("/api/rollouts/" + id + "/guard", OPS)).get("evaluations").size() > before + 3);
        assertThat(json(get("/api/rollouts/" + id, OPS)).get("state").asString()).isEqualTo("ACTIVATING");

        // a storm from the first wave: its four boxes call again and again
        for (int i = 0; i < 40; i++) {
            post("/api/tickets", "{\"deviceId\":\"" + wave.get(i % 4).id() + "\",\"category\":\"freeze\"}", CC);
        }
        await().atMost(Duration.ofSeconds(30)).until(() ->
                "ROLLED_BACK".equals(json(get("/api/rollouts/" + id, OPS)).get("state").asString()));
        JsonNode rollout = json(get("/api/rollouts/" + id, OPS));
        assertThat(rollout.get("endReason").asString()).contains("guard:", "SPRT");
        JsonNode series = json(get("/api/rollouts/" + id + "/guard", OPS));
        assertThat(series.get("alpha").asDouble()).isEqualTo(0.001);
        JsonNode last = series.get("evaluations").get(series.get("evaluations").size() - 1);
        assertThat(last.get("decision").asString()).isEqualTo("HALT");
        assertThat(last.get("eventsOld").asLong()).isEqualTo(12);
        assertThat(last.get("eventsNew").asLong()).isPositive();
        assertThat(last.get("boxesNew").asLong()).isEqualTo(4);
        assertThat(last.get("boxesOld").asLong()).isEqualTo(16);
        assertThat(Math.max(last.get("sprt").asDouble() - last.get("sprtThreshold").asDouble(),
                last.get("cusum").asDouble() - last.get("cusumThreshold").asDouble())).isGreaterThanOrEqualTo(0);
        assertThat(get("/api/audit", OPS).body()).contains("\"action\":\"rollout.halt\"", "\"actor\":\"guard\"");
    }

    @Test
    void thePlannerShowsDetectionTimeAndExposureForACanarySize() throws Exception {
        JsonNode small = json(get("/api/guard/planner?targets=100000&canaryShare=0.01", OPS));
        JsonNode large = json(get("/api/guard/planner?targets=100000&canaryShare=0.05", OPS));
        assertThat(large.get("canaryBoxes").asLong()).isEqualTo(5000);
        JsonNode rows = large.get("rows");
        assertThat(rows).hasSize(4);
        double previous = Double.MAX_VALUE;
        for (JsonNode row : rows) {
            double hours = row.get("medianHoursToDetect").asDouble();
            assertThat(hours).as("a larger regression is caught sooner").isLessThan(previous);
            assertThat(row.get("subscriberHoursExposed").asDouble()).isCloseTo(hours * 5000, org.assertj.core.api
                    .Assertions.within(1e-6));
            previous = hours;
        }
        // the reference scenario's 10x regression: about 2.7 h (bench/guard)
        assertThat(rows.get(3).get("medianHoursToDetect").asDouble()).isBetween(2.0, 3.5);
        assertThat(small.get("rows").get(3).get("medianHoursToDetect").asDouble())
                .as("a smaller canary detects later").isGreaterThan(rows.get(3).get("medianHoursToDetect").asDouble());
        HttpResponse<String> bad = get("/api/guard/planner?targets=100000&canaryShare=1.5", OPS);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).get("code").asString()).isEqualTo("invalid-plan");
    }

    private void checkIn(Box b, String active, String other) throws Exception {
        String body = "{\"keySetVersion\":1,\"roles\":[{\"role\":\"guarded\",\"activeSlot\":\"A\",\"activeDigest\":\""
                + active + "\",\"slots\":[{\"slot\":\"A\",\"digest\":\"" + active + "\",\"version\":1,"
                + "\"securityVersion\":0,\"successful\":true},{\"slot\":\"B\",\"digest\":\"" + other
                + "\",\"version\":2,\"securityVersion\":0,\"successful\":true}]}]}";
        assertThat(post("/api/device/check-in", body, "Bearer " + b.token()).statusCode()).isEqualTo(200);
    }

    private final java.util.Map<String, Long> ids = new java.util.HashMap<>();

    private String upload(int version, long seed) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/images?role=guarded&version=" + version
                        + "&models=stb-g")).header("Authorization", OPS).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(HardeningApiTest.bytes(10_000, seed))).build(),
                HttpResponse.BodyHandlers.ofString());
        long id = json(r).get("id").asLong();
        post("/api/images/" + id + "/release", "{}", OPS);
        String root = json(r).get("rootDigest").asString();
        ids.put(root, id);
        return root;
    }

    private long imageId(String root) {
        return ids.get(root);
    }

}
