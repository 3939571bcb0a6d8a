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
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.trust.Statement;
import tools.jackson.databind.JsonNode;

/**
 * Who a rollout reaches, over real HTTP on the embedded PostgreSQL: boxes carry a region and tags (at enrolment, or
 * set by a CSV import that is all or none), a rollout's filter narrows its targets, a box outside the filter is never
 * offered the image, and the guard's second signal (guest crashes the boxes report) halts a rollout on its own.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TargetingApiTest extends ApiTestSupport {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws IOException {
        var dataDir = Files.createTempDirectory("stb-targeting-test-");
        r.add("stb.data-dir", dataDir::toString);
        r.add("stb.rollout-tick", () -> "200ms");
        r.add("stb.guard.interval", () -> "200ms");
        r.add("stb.keys.passphrase", () -> "test-passphrase");
        r.add("server.shutdown", () -> "immediate");
        r.add("stb.security.accounts.ops.password", () -> ApiTestSupport.quickHash("ops-secret"));
        r.add("stb.security.accounts.ops.roles", () -> "ADMIN");
        r.add("stb.guard.calibration-runs", () -> "4000");
        r.add("stb.security.fleet-enrolment-secret", () -> "batch-7-secret");
    }

    private static final String OPS = HardeningApiTest.basic("ops", "ops-secret");

    record Box(UUID id, String serial, String token) {
    }

    @Test
    void aBoxEnrolsItselfWithTheFleetSecretOnceAndCannotTakeOverABoxInService() throws Exception {
        String body = "{\"serial\":\"SELF-1\",\"hardwareModel\":\"stb-s\",\"region\":\"north\",\"tags\":[\"lab\"]}";
        assertThat(post("/api/enrolment", body, "Bearer wrong-secret").statusCode()).isEqualTo(401);
        assertThat(http.send(HttpRequest.newBuilder(uri("/api/enrolment")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).as("no secret at all").isEqualTo(401);
        assertThat(get("/api/devices", OPS).body()).as("a refused enrolment stores nothing").doesNotContain("SELF-1");
        assertThat(post("/api/enrolment", body, OPS).statusCode()).as("an operator's password is not the fleet secret")
                .isEqualTo(401);

        HttpResponse<String> first = post("/api/enrolment", body, "Bearer batch-7-secret");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        Box box = new Box(UUID.fromString(json(first).get("deviceId").asString()), "SELF-1",
                json(first).get("token").asString());
        assertThat(device("SELF-1").get("region").asString()).isEqualTo("north");

        // the answer was lost before the box saved it: asking again before any check-in gets a new token
        HttpResponse<String> again = post("/api/enrolment", body, "Bearer batch-7-secret");
        assertThat(again.statusCode()).isEqualTo(201);
        Box renewed = new Box(box.id(), "SELF-1", json(again).get("token").asString());
        assertThat(json(again).get("deviceId").asString()).isEqualTo(box.id().toString());
        String check = "{\"keySetVersion\":1,\"roles\":[]}";
        assertThat(post("/api/device/check-in", check, "Bearer " + box.token()).statusCode())
                .as("the first token stopped working").isEqualTo(401);
        assertThat(post("/api/device/check-in", check, "Bearer " + renewed.token()).statusCode()).isEqualTo(200);

        // once the box is in service, the fleet secret cannot take its identity
        HttpResponse<String> takeover = post("/api/enrolment", body, "Bearer batch-7-secret");
        assertThat(takeover.statusCode()).isEqualTo(409);
        assertThat(json(takeover).get("code").asString()).isEqualTo("device-exists");
        assertThat(post("/api/device/check-in", check, "Bearer " + renewed.token()).statusCode()).isEqualTo(200);
        String audit = get("/api/audit?limit=200", OPS).body();
        assertThat(audit).contains("device.re-enroll", "device.enroll-refused", "fleet-enrolment");
        assertThat(audit).doesNotContain("batch-7-secret", renewed.token());
    }

    @Test
    void anAttributeImportIsAllOrNoneAndNamesTheBadRow() throws Exception {
        enrol("IMP-1", "stb-i", null);
        enrol("IMP-2", "stb-i", null);
        HttpResponse<String> bad = csv("serial,region,tags\nIMP-1,north,lab;kids\nIMP-2,Not A Region,lab\n");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).get("detail").asString()).contains("row 3", "region", "nothing was changed");
        assertThat(device("IMP-1").get("region").isNull()).as("the good row was not applied either").isTrue();

        HttpResponse<String> unknown = csv("serial,account\nIMP-1,ACC-1\nIMP-404,ACC-2\n");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(json(unknown).get("code").asString()).isEqualTo("unknown-device");
        assertThat(json(unknown).get("detail").asString()).contains("row 3 (IMP-404)");

        assertThat(csv("serial,region\nIMP-1,north\nIMP-1,south\n").statusCode()).as("a serial twice").isEqualTo(400);
        assertThat(csv("serial,colour\nIMP-1,red\n").statusCode()).as("an unknown column").isEqualTo(400);

        HttpResponse<String> ok = csv("serial,account,region,tags\nIMP-1,ACC-1,north,lab;kids\nIMP-2,ACC-1,south,\n");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(json(ok).get("updated").asInt()).isEqualTo(2);
        JsonNode one = device("IMP-1");
        assertThat(one.get("region").asString()).isEqualTo("north");
        assertThat(one.get("account").asString()).isEqualTo("ACC-1");
        assertThat(one.get("tags").toString()).isEqualTo("[\"lab\",\"kids\"]");
        assertThat(device("IMP-2").get("tags")).isEmpty();
        // a column left out stays as it was; an empty cell clears
        assertThat(csv("serial,region\nIMP-1,\n").statusCode()).isEqualTo(200);
        assertThat(device("IMP-1").get("region").isNull()).isTrue();
        assertThat(device("IMP-1").get("account").asString()).isEqualTo("ACC-1");
        assertThat(get("/api/audit", OPS).body()).contains("\"action\":\"device.import\"");
    }

    @Test
    void aFilteredRolloutReachesOnlyItsTargetsAndTheOthersKeepTheirImage() throws Exception {
        String v1 = upload("filtered", 1, 21, "stb-f");
        String v2 = upload("filtered", 2, 22, "stb-f");
        List<Box> north = new ArrayList<>();
        List<Box> others = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            north.add(enrol("FN-" + i, "stb-f", "\"region\":\"north\",\"tags\":[\"lab\"]"));
        }
        others.add(enrol("FS-0", "stb-f", "\"region\":\"south\",\"tags\":[\"lab\"]"));
        others.add(enrol("FN-X", "stb-f", "\"region\":\"north\""));
        long first = rollout(v1, "");
        post("/api/rollouts/" + first + "/start", "{}", OPS);
        post("/api/rollouts/" + first + "/advance", "{}", OPS);
        assertThat(post("/api/rollouts/" + first + "/finalize", "{}", OPS).statusCode()).isEqualTo(200);

        long id = rollout(v2, ",\"target\":{\"region\":\"north\",\"tags\":[\"lab\"]}");
        JsonNode view = json(get("/api/rollouts/" + id, OPS));
        assertThat(view.get("targets").asLong()).isEqualTo(6);
        assertThat(view.get("filter").get("region").asString()).isEqualTo("north");
        post("/api/rollouts/" + id + "/start", "{}", OPS);
        for (Box b : north) {
            assertThat(offered(b, v1)).as("a target is offered v2").isEqualTo(v2);
        }
        for (Box b : others) {
            assertThat(offered(b, v1)).as(b.serial() + " is outside the filter: keeps v1, which it holds, and is "
                    + "offered nothing").isNull();
        }
        HttpResponse<String> badFilter = post("/api/rollouts", "{\"imageId\":" + ids.get(v2)
                + ",\"target\":{\"serialPrefix\":\"bad prefix!\"}}", OPS);
        assertThat(badFilter.statusCode()).isEqualTo(400);
        assertThat(json(badFilter).get("code").asString()).isEqualTo("invalid-target");
    }

    @Test
    void guestCrashesFromTheFirstWaveHaltTheRolloutOnTheCrashSignal() throws Exception {
        String v1 = upload("crashy", 1, 31, "stb-c");
        String v2 = upload("crashy", 2, 32, "stb-c");
        List<Box> boxes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            boxes.add(enrol("CR-" + i, "stb-c", null));
        }
        // the wave's own crash threshold is out of the way (at least 10 crashing boxes): the guard must see it
        long id = rollout(v2, ",\"waves\":[{\"count\":4,\"minSoak\":\"PT1H\",\"minCrashes\":10},{\"share\":1.0}],"
                + "\"guard\":{\"signals\":[\"CRASHES\"]}");
        post("/api/rollouts/" + id + "/start", "{}", OPS);
        for (Box b : boxes) {
            checkIn(b, "crashy", v1, v2);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> json(get("/api/rollouts/" + id, OPS)).get("wave").asInt() == 1);
        List<Box> wave = boxes.stream().sorted(Comparator.comparingLong(b -> Statement.Cohort.rank(id, b.id())))
                .limit(4).toList();
        for (Box b : wave) {
            checkIn(b, "crashy", v2, v1);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> !json(get("/api/rollouts/" + id + "/guard", OPS))
                .get("evaluations").isEmpty());
        // one box on the old image crashes; then two of the wave's boxes crash again and again
        Box old = boxes.stream().filter(b -> !wave.contains(b)).findFirst().orElseThrow();
        post("/api/device/reports", "{\"type\":\"CRASHED\",\"role\":\"crashy\",\"digest\":\"" + v1 + "\"}",
                "Bearer " + old.token());
        for (int i = 0; i < 30; i++) {
            Box b = wave.get(i % 2);
            assertThat(post("/api/device/reports", "{\"type\":\"CRASHED\",\"role\":\"crashy\",\"digest\":\"" + v2
                    + "\",\"detail\":\"guest exited 139\"}", "Bearer " + b.token()).statusCode()).isLessThan(300);
        }
        await().atMost(Duration.ofSeconds(30)).until(() ->
                "ROLLED_BACK".equals(json(get("/api/rollouts/" + id, OPS)).get("state").asString()));
        assertThat(json(get("/api/rollouts/" + id, OPS)).get("endReason").asString())
                .contains("guard: guest crashes");
        JsonNode series = json(get("/api/rollouts/" + id + "/guard", OPS));
        assertThat(series.get("signals").toString()).isEqualTo("[\"CRASHES\"]");
        JsonNode last = series.get("evaluations").get(series.get("evaluations").size() - 1);
        assertThat(last.get("signal").asString()).isEqualTo("CRASHES");
        assertThat(last.get("decision").asString()).isEqualTo("HALT");
        assertThat(last.get("eventsOld").asLong()).isEqualTo(1);
    }

    // ---- helpers

    private Box enrol(String serial, String model, String extra) throws Exception {
        JsonNode n = json(post("/api/devices", "{\"serial\":\"" + serial + "\",\"hardwareModel\":\"" + model + "\""
                + (extra == null ? "" : "," + extra) + "}", OPS));
        return new Box(UUID.fromString(n.get("deviceId").asString()), serial, n.get("token").asString());
    }

    private JsonNode device(String serial) throws Exception {
        for (JsonNode d : json(get("/api/devices", OPS))) {
            if (d.get("serial").asString().equals(serial)) {
                return d;
            }
        }
        throw new AssertionError("no device " + serial);
    }

    private long rollout(String image, String extra) throws Exception {
        HttpResponse<String> r = post("/api/rollouts", "{\"imageId\":" + ids.get(image) + extra + "}", OPS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json(r).get("id").asLong();
    }

    /** The digest of the image the check-in answer tells this box to hold for role "filtered". */
    private String offered(Box b, String running) throws Exception {
        HttpResponse<String> r = checkIn(b, "filtered", running, null);
        DesiredState state = DeviceApiJson.mapper().readValue(r.body(), DesiredState.class);
        return state.roles().stream().filter(d -> d.role().equals("filtered")).findFirst()
                .map(d -> d.stage().manifest().unverifiedManifest().rootDigest().hex()).orElse(null);
    }

    private HttpResponse<String> checkIn(Box b, String role, String active, String other) throws Exception {
        String slots = "{\"slot\":\"A\",\"digest\":\"" + active + "\",\"version\":1,\"securityVersion\":0,"
                + "\"successful\":true}" + (other == null ? "" : ",{\"slot\":\"B\",\"digest\":\"" + other
                + "\",\"version\":2,\"securityVersion\":0,\"successful\":true}");
        String body = "{\"keySetVersion\":1,\"roles\":[{\"role\":\"" + role + "\",\"activeSlot\":\"A\","
                + "\"activeDigest\":\"" + active + "\",\"slots\":[" + slots + "]}]}";
        HttpResponse<String> r = post("/api/device/check-in", body, "Bearer " + b.token());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r;
    }

    private final Map<String, Long> ids = new java.util.HashMap<>();

    private String upload(String role, int version, long seed, String model) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/images?role=" + role + "&version="
                        + version + "&models=" + model)).header("Authorization", OPS)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(HardeningApiTest.bytes(10_000, seed))).build(),
                HttpResponse.BodyHandlers.ofString());
        long id = json(r).get("id").asLong();
        post("/api/images/" + id + "/release", "{}", OPS);
        String root = json(r).get("rootDigest").asString();
        ids.put(root, id);
        return root;
    }

    private HttpResponse<String> csv(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri("/api/devices/attributes")).header("Authorization", OPS)
                .header("Content-Type", "text/csv").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

}
