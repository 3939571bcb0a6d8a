package org.stbguest.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The server's answers to careless and hostile input over real HTTP on the embedded PostgreSQL: tickets, the
 * security floor, other models' images, damaged stored chunks, failed logins and refused authorizations.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class HardeningApiTest extends ApiTestSupport {

    static Path dataDir;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws IOException {
        dataDir = Files.createTempDirectory("stb-hardening-test-");
        r.add("stb.data-dir", dataDir::toString);
        r.add("stb.max-image-size", () -> "4MB");
        r.add("stb.rollout-tick", () -> "200ms");
        r.add("stb.keys.passphrase", () -> "test-passphrase");
        // the test JVM closes its contexts at exit: no graceful wait for requests a hostile test left open
        r.add("server.shutdown", () -> "immediate");
        r.add("stb.security.accounts.ops.password", () -> ApiTestSupport.quickHash("ops-secret"));
        r.add("stb.security.accounts.ops.roles", () -> "ADMIN");
        r.add("stb.security.accounts.cc.password", () -> ApiTestSupport.quickHash("cc-secret"));
        r.add("stb.security.accounts.cc.roles", () -> "CALLCENTER");
        r.add("stb.security.accounts.victim.password", () -> "victim-secret");
        r.add("stb.security.accounts.victim.roles", () -> "OPERATOR");
        r.add("stb.limits.reports-per-minute", () -> "20");
    }

    @Autowired
    JdbcClient jdbc;
    @Autowired
    org.stbguest.operator.telemetry.TelemetryService telemetry;

    private static final String OPS = basic("ops", "ops-secret");

    // ---- 8: tickets

    @Test
    void aRetriedTicketIsStoredOnceAndAnswersWithTheFirstId() throws Exception {
        String serial = enroll("SN-TICKET-1", "stb-x1").serial;
        String body = "{\"serial\":\"" + serial + "\",\"category\":\"no-picture\",\"externalId\":\"CC-1001\"}";
        HttpResponse<String> first = post("/api/tickets", body, basic("cc", "cc-secret"));
        HttpResponse<String> again = post("/api/tickets", body, basic("cc", "cc-secret"));
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(json(again).get("id").asLong()).isEqualTo(json(first).get("id").asLong());
        assertThat(json(again).get("duplicate").asBoolean()).isTrue();
        assertThat(count("select count(*) from ticket where external_id = 'CC-1001'")).isEqualTo(1);
    }

    @Test
    void concurrentRetriesOfOneTicketStoreItOnce() throws Exception {
        String serial = enroll("SN-TICKET-2", "stb-x1").serial;
        String body = "{\"serial\":\"" + serial + "\",\"category\":\"freeze\",\"externalId\":\"CC-RACE\"}";
        var futures = new java.util.ArrayList<java.util.concurrent.CompletableFuture<HttpResponse<String>>>();
        for (int i = 0; i < 8; i++) {
            futures.add(http.sendAsync(request("/api/tickets", basic("cc", "cc-secret"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        java.util.Set<Long> ids = new java.util.HashSet<>();
        for (var f : futures) {
            HttpResponse<String> r = f.get();
            assertThat(r.statusCode()).isIn(200, 201);
            ids.add(json(r).get("id").asLong());
        }
        assertThat(ids).hasSize(1);
        assertThat(count("select count(*) from ticket where external_id = 'CC-RACE'")).isEqualTo(1);
    }

    @Test
    void aTicketDatedInTheFutureOrLongAgoIsRefused() throws Exception {
        String serial = enroll("SN-TICKET-3", "stb-x1").serial;
        long before = count("select count(*) from ticket");
        HttpResponse<String> future = post("/api/tickets", "{\"serial\":\"" + serial
                + "\",\"category\":\"no-picture\",\"openedAt\":\"2099-01-01T00:00:00Z\"}", basic("cc", "cc-secret"));
        assertThat(future.statusCode()).isEqualTo(400);
        assertThat(json(future).get("code").asString()).isEqualTo("ticket-in-future");
        HttpResponse<String> old = post("/api/tickets", "{\"serial\":\"" + serial
                + "\",\"category\":\"no-picture\",\"openedAt\":\"2001-01-01T00:00:00Z\"}", basic("cc", "cc-secret"));
        assertThat(json(old).get("code").asString()).isEqualTo("ticket-too-old");
        HttpResponse<String> skewed = post("/api/tickets", "{\"serial\":\"" + serial
                + "\",\"category\":\"no-picture\",\"openedAt\":\"" + Instant.now().plusSeconds(60) + "\"}",
                basic("cc", "cc-secret"));
        assertThat(skewed.statusCode()).as("a minute of clock skew is fine").isEqualTo(201);
        assertThat(count("select count(*) from ticket")).isEqualTo(before + 1);
    }

    // ---- 9: the floor and hardware models on the server

    @Test
    void rolloutsBelowTheFinalizedFloorAreRefused() throws Exception {
        Device box = enroll("SN-FLOOR-1", "stb-floor");
        Image v1 = release(upload(bytes(20_000, 21), "floor", 1, 1, "stb-floor"));
        Image v2 = release(upload(bytes(20_000, 22), "floor", 2, 2, "stb-floor"));
        Image old = release(upload(bytes(20_000, 23), "floor", 3, 1, "stb-floor"));
        long r1 = json(post("/api/rollouts", "{\"imageId\":" + v2.id + "}", OPS)).get("id").asLong();
        long early = json(post("/api/rollouts", "{\"imageId\":" + old.id + "}", OPS)).get("id").asLong();
        post("/api/rollouts/" + r1 + "/start", "{}", OPS);
        // the box says it holds v2 in its other slot: the rollout activates, and can then be finalized
        checkIn(box, "floor", v1.root, v2.root);
        await().atMost(Duration.ofSeconds(20)).until(() -> "ACTIVATING".equals(
                json(get("/api/rollouts/" + r1, OPS)).get("state").asString()));
        assertThat(post("/api/rollouts/" + r1 + "/finalize", "{}", OPS).statusCode()).isEqualTo(200);

        HttpResponse<String> below = post("/api/rollouts", "{\"imageId\":" + old.id + "}", OPS);
        assertThat(below.statusCode()).isEqualTo(409);
        assertThat(json(below).get("code").asString()).isEqualTo("below-security-floor");
        HttpResponse<String> startBelow = post("/api/rollouts/" + early + "/start", "{}", OPS);
        assertThat(startBelow.statusCode()).as("a draft planned before the finalize cannot start below it")
                .isEqualTo(409);
        assertThat(json(startBelow).get("code").asString()).isEqualTo("below-security-floor");
    }

    @Test
    void aBoxCannotDownloadAnotherModelsImage() throws Exception {
        Image other = release(upload(bytes(30_000, 31), "models", 1, 0, "stb-x9"));
        Device box = enroll("SN-MODEL-1", "stb-x1");
        HttpResponse<String> range = http.send(request("/api/device/images/" + other.root, "Bearer " + box.token)
                .header("Range", "bytes=0-99").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(range.statusCode()).isEqualTo(403);
        assertThat(json(range).get("code").asString()).isEqualTo("wrong-model");
        assertThat(get("/api/device/images/" + other.root + "/chunks/0", "Bearer " + box.token).statusCode())
                .isEqualTo(403);
        Device right = enroll("SN-MODEL-2", "stb-x9");
        assertThat(http.send(request("/api/device/images/" + other.root, "Bearer " + right.token)
                .header("Range", "bytes=0-99").GET().build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode())
                .isEqualTo(206);
    }

    // ---- 10: damaged stored chunks

    @Test
    void aTamperedStoredChunkIsA503BeforeAnySuccessHeaderAndMarksTheImage(CapturedOutput output) throws Exception {
        byte[] image = bytes(600_000, 41); // three chunks of 256 KiB
        Image img = release(upload(image, "damage", 1, 0, "stb-x1"));
        Device box = enroll("SN-DAMAGE-1", "stb-x1");
        String chunk1 = json(get("/api/images/" + img.id + "/manifest", OPS)).get("manifestBase64").asString();
        var manifest = org.stbguest.image.ManifestCodec.decode(Base64.getDecoder().decode(chunk1));
        String hex = manifest.chunkDigests().get(1).hex();
        Path file = dataDir.resolve("store/chunks").resolve(hex.substring(0, 2)).resolve(hex);
        byte[] stored = Files.readAllBytes(file);
        stored[1000] ^= 1;
        Files.write(file, stored);

        HttpResponse<String> r = http.send(request("/api/device/images/" + img.root, "Bearer " + box.token)
                .header("Range", "bytes=200000-300000").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Range")).isEmpty();
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("problem+json"));
        assertThat(json(r).get("code").asString()).isEqualTo("image-damaged");
        assertThat(json(r).get("detail").asString()).contains("chunk 1");

        JsonNode view = json(get("/api/images/" + img.id, OPS));
        assertThat(view.get("damaged").asBoolean()).isTrue();
        assertThat(view.get("damage").asString()).contains("chunk 1");
        assertThat(get("/api/audit", OPS).body()).contains("image.damaged");
        assertThat(output.getAll()).contains("event=stored_chunk_damaged image=" + img.id);

        // the untouched chunk 0 is still served; a missing chunk 2 is a 503 too
        assertThat(http.send(request("/api/device/images/" + img.root, "Bearer " + box.token)
                .header("Range", "bytes=0-99").GET().build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode())
                .isEqualTo(206);
        String hex2 = manifest.chunkDigests().get(2).hex();
        Files.delete(dataDir.resolve("store/chunks").resolve(hex2.substring(0, 2)).resolve(hex2));
        assertThat(get("/api/device/images/" + img.root + "/chunks/2", "Bearer " + box.token).statusCode())
                .isEqualTo(503);
        assertThat(http.send(request("/api/device/images/" + img.root, "Bearer " + box.token).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).as("the whole image").isEqualTo(503);
    }

    // ---- 11: authentication hygiene

    @Test
    void failedLoginsAreAuditedAndRepeatedOnesLockTheAccount(CapturedOutput output) throws Exception {
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = get("/api/images", basic("victim", "guess-" + i));
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(json(r).get("code").asString()).isEqualTo("unauthenticated");
        }
        HttpResponse<String> locked = get("/api/images", basic("victim", "victim-secret"));
        assertThat(locked.statusCode()).as("locked: even the right password waits").isEqualTo(429);
        assertThat(locked.headers().firstValue("Retry-After")).isPresent();
        assertThat(json(locked).get("code").asString()).isEqualTo("too-many-login-failures");
        assertThat(get("/api/images", OPS).statusCode()).as("other accounts are not affected").isEqualTo(200);

        String audit = get("/api/audit", OPS).body();
        assertThat(audit).contains("\"action\":\"auth.login_failed\"", "\"actor\":\"victim\"");
        assertThat(output.getAll()).contains("event=login_failed account=victim").doesNotContain("guess-")
                .doesNotContain("victim-secret");
    }

    @Test
    void a403IsAProblemDetailAndAudited() throws Exception {
        HttpResponse<String> r = get("/api/images", basic("cc", "cc-secret"));
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("problem+json"));
        assertThat(json(r).get("code").asString()).isEqualTo("forbidden");
        assertThat(get("/api/audit", OPS).body()).contains("\"action\":\"auth.denied\"", "\"actor\":\"cc\"");
    }

    // ---- 7: reports per device per minute

    @Test
    void aDeviceSendingTooManyReportsGets429AndOthersAreUnaffected() throws Exception {
        Device noisy = enroll("SN-NOISY", "stb-x1");
        Device quiet = enroll("SN-QUIET", "stb-x1");
        String report = "{\"type\":\"STAGED\",\"role\":\"entertainment\"}";
        int accepted = 0;
        int limited = 0;
        for (int i = 0; i < 40; i++) {
            int status = post("/api/device/reports", report, "Bearer " + noisy.token).statusCode();
            accepted += status == 202 ? 1 : 0;
            limited += status == 429 ? 1 : 0;
        }
        assertThat(accepted).isBetween(20, 22);
        assertThat(limited).isEqualTo(40 - accepted);
        assertThat(post("/api/device/reports", report, "Bearer " + quiet.token).statusCode()).isEqualTo(202);
    }

    @Test
    void aBatchOfReportsIsStoredInOneRequestAndAnOversizedOneIsRefused() throws Exception {
        Device box = enroll("SN-BATCH", "stb-x1");
        long before = count("select count(*) from device_event");
        String one = "{\"type\":\"REFUSED\",\"role\":\"entertainment\",\"detail\":\"replayed\"}";
        HttpResponse<String> r = post("/api/device/report-batch", "[" + one + "," + one + "," + one + "]",
                "Bearer " + box.token);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(json(r).get("stored").asInt()).isEqualTo(3);
        assertThat(count("select count(*) from device_event") - before).isEqualTo(3);
        String big = "[" + String.join(",", java.util.Collections.nCopies(501, one)) + "]";
        HttpResponse<String> tooMany = post("/api/device/report-batch", big, "Bearer " + box.token);
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(count("select count(*) from device_event") - before).isEqualTo(3);
    }

    @Test
    void aReportSentAgainAfterALostAnswerIsStoredOnceAndDoesNotTurnTheBoxBack() throws Exception {
        Device box = enroll("SN-ONCE", "stb-x1");
        Device other = enroll("SN-ONCE-2", "stb-x1");
        String v1 = "c3".repeat(32);
        String v2 = "d4".repeat(32);
        String activated = report("ACTIVATED", v2, "B", "11111111-1111-4111-8111-111111111111");
        String crash = report("CRASHED", v2, "B", "33333333-3333-4333-8333-333333333333");
        String rolledBack = report("ROLLED_BACK", v1, "A", "22222222-2222-4222-8222-222222222222");
        String first = "[" + activated + "," + crash + "," + crash + "]";

        HttpResponse<String> r = post("/api/device/report-batch", first, "Bearer " + box.token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(json(r).get("stored").asInt()).as("the same id twice in one batch is one report").isEqualTo(2);
        assertThat(json(post("/api/device/report-batch", "[" + rolledBack + "]", "Bearer " + box.token))
                .get("stored").asInt()).isEqualTo(1);
        assertThat(active(box)).isEqualTo(v1);

        // the first batch again, as a box sends it when the 202 was lost: taken, nothing stored, the box stays on v1
        r = post("/api/device/report-batch", first, "Bearer " + box.token);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(json(r).get("stored").asInt()).isZero();
        assertThat(active(box)).as("an old ACTIVATED sent again must not undo the rollback").isEqualTo(v1);
        assertThat(count("select count(*) from device_event where device_id = '" + box.id + "'")).isEqualTo(3);
        assertThat(count("select count(*) from device_event where device_id = '" + box.id + "' and type = 'CRASHED'"))
                .as("the guard counts a crash once").isEqualTo(1);

        // ids are a device's own: another box's report with the same id is its own report, not a repeat
        assertThat(json(post("/api/device/report-batch", "[" + crash + "]", "Bearer " + other.token))
                .get("stored").asInt()).isEqualTo(1);
        // reports without an id (older agents) are stored every time
        String anonymous = "{\"type\":\"REFUSED\",\"role\":\"entertainment\"}";
        assertThat(json(post("/api/device/report-batch", "[" + anonymous + "," + anonymous + "]",
                "Bearer " + other.token)).get("stored").asInt()).isEqualTo(2);

        long before = count("select count(*) from device_event");
        HttpResponse<String> bad = post("/api/device/report-batch", "[" + report("CRASHED", v2, "B", "not-a-uuid") + "]",
                "Bearer " + box.token);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/problem+json"));
        assertThat(count("select count(*) from device_event")).isEqualTo(before);
    }

    private static String report(String type, String digest, String slot, String id) {
        return "{\"type\":\"" + type + "\",\"role\":\"entertainment\",\"digest\":\"" + digest + "\",\"slot\":\""
                + slot + "\",\"id\":\"" + id + "\"}";
    }

    private String active(Device box) {
        return jdbc.sql("select active_digest from device_role_state where device_id = ? and role = 'entertainment'")
                .param(UUID.fromString(box.id)).query(String.class).single();
    }

    @Test
    void aTicketNamingASubscriberAccountCountsOnceForTheCohortOfItsBoxes() throws Exception {
        String x = "a1".repeat(32);
        String y = "b2".repeat(32);
        for (int i = 0; i < 2; i++) {
            JsonNode n = json(post("/api/devices", "{\"serial\":\"SN-ACC-" + i + "\",\"hardwareModel\":\"stb-acc\","
                    + "\"account\":\"ACC-7\"}", OPS));
            String active = i == 0 ? x : y;
            String body = "{\"keySetVersion\":1,\"roles\":[{\"role\":\"acct\",\"activeSlot\":\"A\",\"activeDigest\":\""
                    + active + "\",\"slots\":[{\"slot\":\"A\",\"digest\":\"" + active + "\",\"version\":1,"
                    + "\"securityVersion\":0,\"successful\":true}]}]}";
            assertThat(post("/api/device/check-in", body, "Bearer " + n.get("token").asString()).statusCode())
                    .isEqualTo(200);
        }
        long before = telemetry.lastTicketId();
        HttpResponse<String> r = post("/api/tickets", "{\"account\":\"ACC-7\",\"category\":\"no-picture\"}",
                basic("cc", "cc-secret"));
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(json(r).get("matched").asBoolean()).isTrue();
        assertThat(json(post("/api/tickets", "{\"account\":\"NOBODY\",\"category\":\"no-picture\"}",
                basic("cc", "cc-secret"))).get("matched").asBoolean()).as("kept, unmatched").isFalse();

        var models = org.stbguest.operator.device.Target.of(java.util.List.of("stb-acc"));
        var d = org.stbguest.image.Digest.parse(x);
        var e = org.stbguest.image.Digest.parse(y);
        var z = org.stbguest.image.Digest.parse("c3".repeat(32));
        var asNew = telemetry.ticketsAfter(before, "acct", d, e, models);
        assertThat(asNew.fromNew()).as("one of the account's boxes runs the new image: one complaint, new").isEqualTo(1);
        assertThat(asNew.fromOld()).isZero();
        var asOld = telemetry.ticketsAfter(before, "acct", z, e, models);
        assertThat(asOld.fromNew()).isZero();
        assertThat(asOld.fromOld()).isEqualTo(1);
    }

    // ---- the call-center webhook (issue 18)

    @Test
    void theWebhookTakesOnlyALiveIntegrationTokenAndStoresNothingOtherwise() throws Exception {
        String token = json(post("/api/integrations", "{\"name\":\"callcenter-a\"}", OPS)).get("token").asString();
        String serial = enroll("SN-HOOK-1", "stb-x1").serial;
        String body = "{\"serial\":\"" + serial + "\",\"category\":\"no-picture\",\"externalId\":\"HOOK-1\"}";
        long before = count("select count(*) from ticket");
        for (String bad : new String[] {"Bearer stbi_forged", "Bearer " + token + "x", OPS, null}) {
            HttpResponse<String> r = post("/api/telemetry/tickets", body, bad);
            assertThat(r.statusCode()).as("credentials %s", bad).isEqualTo(401);
            assertThat(json(r).get("code").asString()).isEqualTo("unauthenticated");
        }
        assertThat(count("select count(*) from ticket")).isEqualTo(before);

        HttpResponse<String> first = post("/api/telemetry/tickets", body, "Bearer " + token);
        HttpResponse<String> again = post("/api/telemetry/tickets", body, "Bearer " + token);
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(count("select count(*) from ticket where external_id = 'HOOK-1'")).isEqualTo(1);
        assertThat(get("/api/audit", OPS).body()).contains("\"actor\":\"integration/callcenter-a\"");

        long id = -1;
        for (JsonNode i : json(get("/api/integrations", OPS))) {
            if (i.get("name").asString().equals("callcenter-a")) {
                id = i.get("id").asLong();
            }
        }
        assertThat(post("/api/integrations/" + id + "/revoke", "{}", OPS).statusCode()).isEqualTo(200);
        assertThat(post("/api/telemetry/tickets", body.replace("HOOK-1", "HOOK-2"), "Bearer " + token).statusCode())
                .as("revoked: fails at once").isEqualTo(401);
    }

    @Test
    void aCsvWithABadRowStoresNothingAndNamesTheRow() throws Exception {
        String token = json(post("/api/integrations", "{\"name\":\"callcenter-csv\"}", OPS)).get("token").asString();
        String serial = enroll("SN-CSV-1", "stb-x1").serial;
        String now = Instant.now().minusSeconds(60).toString();
        String bad = "external_id,serial,category,opened_at\n"
                + "CSV-1," + serial + ",no-picture," + now + "\n"
                + "CSV-2," + serial + ",\"freeze, then reboot\"," + now + "\n"
                + "CSV-3," + serial + ",no-picture,2099-01-01T00:00:00Z\n"
                + "CSV-4,UNKNOWN-BOX,no-sound," + now + "\n";
        long before = count("select count(*) from ticket");
        HttpResponse<String> r = http.send(request("/api/telemetry/tickets", "Bearer " + token)
                .header("Content-Type", "text/csv").POST(HttpRequest.BodyPublishers.ofString(bad)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("code").asString()).isEqualTo("invalid-csv-row");
        assertThat(json(r).get("detail").asString()).contains("row 4", "nothing of the file was stored");
        assertThat(count("select count(*) from ticket")).as("none kept").isEqualTo(before);

        HttpResponse<String> fixed = http.send(request("/api/telemetry/tickets", "Bearer " + token)
                .header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofString(bad.replace("2099-01-01T00:00:00Z", now))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(fixed.statusCode()).as(fixed.body()).isEqualTo(200);
        assertThat(json(fixed).get("stored").asInt()).isEqualTo(4);
        assertThat(json(fixed).get("unmatched").asInt()).as("an unknown box is kept and counted").isEqualTo(1);
        assertThat(count("select count(*) from ticket where category = 'freeze, then reboot'")).isEqualTo(1);
        assertThat(json(get("/api/telemetry/unmatched", "Bearer " + token)).get("unmatched").asLong())
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void aJsonBatchOfTicketsIsStoredAllOrNone() throws Exception {
        String token = json(post("/api/integrations", "{\"name\":\"callcenter-batch\"}", OPS)).get("token").asString();
        String serial = enroll("SN-JBATCH", "stb-x1").serial;
        long before = count("select count(*) from ticket");
        String good = "{\"serial\":\"" + serial + "\",\"category\":\"no-picture\",\"externalId\":\"JB-1\"}";
        String bad = "{\"serial\":\"" + serial + "\",\"category\":\"no-picture\",\"openedAt\":\"2099-01-01T00:00:00Z\"}";
        HttpResponse<String> r = post("/api/telemetry/ticket-batch", "[" + good + "," + bad + "]", "Bearer " + token);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("detail").asString()).contains("ticket 1", "nothing of the batch was stored");
        assertThat(count("select count(*) from ticket")).isEqualTo(before);
        HttpResponse<String> ok = post("/api/telemetry/ticket-batch", "[" + good + "," + good + "]", "Bearer " + token);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(json(ok).get("stored").asInt()).isEqualTo(1);
        assertThat(json(ok).get("duplicates").asInt()).as("the same external id twice counts once").isEqualTo(1);
    }

    // ---- helpers

    record Device(String serial, String token, String id) {
    }

    record Image(long id, String root) {
    }

    private Device enroll(String serial, String model) throws Exception {
        JsonNode n = json(post("/api/devices", "{\"serial\":\"" + serial + "\",\"hardwareModel\":\"" + model + "\"}", OPS));
        return new Device(serial, n.get("token").asString(), n.get("deviceId").asString());
    }

    private Image upload(byte[] image, String role, long version, long security, String model) throws Exception {
        HttpResponse<String> r = http.send(request("/api/images?role=" + role + "&version=" + version
                + "&securityVersion=" + security + "&models=" + model, OPS)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return new Image(json(r).get("id").asLong(), json(r).get("rootDigest").asString());
    }

    private Image release(Image i) throws Exception {
        assertThat(post("/api/images/" + i.id + "/release", "{}", OPS).statusCode()).isEqualTo(200);
        return i;
    }

    private void checkIn(Device box, String role, String active, String other) throws Exception {
        String body = "{\"keySetVersion\":1,\"roles\":[{\"role\":\"" + role + "\",\"activeSlot\":\"A\",\"activeDigest\":\""
                + active + "\",\"slots\":[{\"slot\":\"A\",\"digest\":\"" + active + "\",\"version\":1,"
                + "\"securityVersion\":1,\"successful\":true},{\"slot\":\"B\",\"digest\":\"" + other
                + "\",\"version\":2,\"securityVersion\":2,\"successful\":false}]}]}";
        HttpResponse<String> r = post("/api/device/check-in", body, "Bearer " + box.token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private long count(String sql) {
        return jdbc.sql(sql).query(Long.class).single();
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
