package org.stbguest.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
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

/** The REST API over real HTTP on the embedded PostgreSQL: authentication, problem details, limits, audit. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class OperatorApiTest extends ApiTestSupport {

    static Path dataDir;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws IOException {
        dataDir = Files.createTempDirectory("stb-api-test-");
        r.add("stb.data-dir", dataDir::toString);
        r.add("stb.max-image-size", () -> "1MB");
        r.add("stb.keys.passphrase", () -> "test-passphrase");
        // the test JVM closes its contexts at exit: no graceful wait for requests a hostile test left open
        r.add("server.shutdown", () -> "immediate");
        r.add("stb.security.accounts.ops.password", () -> ApiTestSupport.quickHash("ops-secret"));
        r.add("stb.security.accounts.ops.roles", () -> "ADMIN");
        r.add("stb.security.accounts.cc.password", () -> ApiTestSupport.quickHash("cc-secret"));
        r.add("stb.security.accounts.cc.roles", () -> "CALLCENTER");
    }

    @Autowired
    JdbcClient jdbc;

    @Test
    void healthIsOpenAndTheApiNeedsCredentials() throws Exception {
        assertThat(get("/actuator/health", null).statusCode()).isEqualTo(200);
        HttpResponse<String> r = get("/api/images", null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("problem+json"));
        assertThat(get("/api/images", basic("ops", "wrong")).statusCode()).isEqualTo(401);
        assertThat(get("/api/images", basic("cc", "cc-secret")).statusCode()).as("call center is not an operator").isEqualTo(403);
    }

    @Test
    void uploadsAndSignsAnImageAndRefusesTheSameVersionTwice() throws Exception {
        byte[] image = bytes(300_000, 1);
        HttpResponse<String> r = upload(image, "browser", 1);
        assertThat(r.statusCode()).isEqualTo(201);
        JsonNode n = DeviceApiJson.mapper().readTree(r.body());
        assertThat(n.get("size").asLong()).isEqualTo(image.length);
        assertThat(n.get("state").asString()).as("an upload is a draft until released").isEqualTo("DRAFT");

        long id = n.get("id").asLong();
        HttpResponse<String> manifest = get("/api/images/" + id + "/manifest", basic("ops", "ops-secret"));
        assertThat(DeviceApiJson.mapper().readTree(manifest.body()).get("signatures"))
                .as("signed by the server's release key, one of the development key set's").hasSize(1);
        HttpResponse<String> released = post("/api/images/" + id + "/release", "{}", basic("ops", "ops-secret"));
        assertThat(DeviceApiJson.mapper().readTree(released.body()).get("state").asString()).isEqualTo("RELEASED");
        assertThat(post("/api/images/" + id + "/release", "{}", basic("ops", "ops-secret")).statusCode())
                .as("released twice").isEqualTo(409);

        HttpResponse<String> dup = upload(bytes(1000, 2), "browser", 1);
        assertThat(dup.statusCode()).isEqualTo(409);
        JsonNode problem = DeviceApiJson.mapper().readTree(dup.body());
        assertThat(problem.get("type").asString()).isEqualTo("urn:stb:problem:image-version-exists");
        assertThat(problem.get("detail").asString()).contains("version 1");
    }

    @Test
    void anOversizedUploadGets413AndLeavesNothingBehind() throws Exception {
        long chunksBefore = countFiles(dataDir.resolve("store/chunks"));
        HttpResponse<String> r = upload(bytes(1_500_000, 3), "security", 7);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(DeviceApiJson.mapper().readTree(r.body()).get("code").asString()).isEqualTo("image-too-large");
        assertThat(countFiles(dataDir.resolve("store/uploads"))).isZero();
        assertThat(countFiles(dataDir.resolve("store/chunks"))).isEqualTo(chunksBefore);
        assertThat(get("/api/images", basic("ops", "ops-secret")).body()).doesNotContain("\"role\":\"security\"");
    }

    @Test
    void anInvalidRoleNameIsRejectedBeforeAnythingIsStored() throws Exception {
        HttpResponse<String> r = upload(bytes(1000, 4), "Bad Role", 1);
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(DeviceApiJson.mapper().readTree(r.body()).get("code").asString()).isEqualTo("image-malformed-manifest");
    }

    @Test
    void devicesUseTheirOwnTokenAndCannotReachOperatorEndpoints(CapturedOutput output) throws Exception {
        JsonNode enrolment = DeviceApiJson.mapper().readTree(post("/api/devices",
                "{\"serial\":\"SN-API-1\",\"hardwareModel\":\"stb-x1\"}", basic("ops", "ops-secret")).body());
        String token = enrolment.get("token").asString();
        String bearer = "Bearer " + token;

        assertThat(post("/api/device/check-in", "{\"roles\":[]}", bearer).statusCode()).isEqualTo(200);
        assertThat(post("/api/device/check-in", "{\"roles\":[]}", "Bearer forged").statusCode()).isEqualTo(401);
        assertThat(post("/api/device/check-in", "{\"roles\":[]}", null).statusCode()).isEqualTo(401);
        assertThat(get("/api/images", bearer).statusCode()).as("a device token is no operator credential").isEqualTo(401);
        assertThat(get("/api/device/images/" + "0".repeat(64) + "/chunks/0", bearer).statusCode()).isEqualTo(404);

        assertThat(output.getAll()).doesNotContain(token).doesNotContain("ops-secret").doesNotContain("test-passphrase");
    }

    @Test
    void operatorActionsLandInTheAuditLog() throws Exception {
        post("/api/devices", "{\"serial\":\"SN-AUDIT\",\"hardwareModel\":\"stb-x1\"}", basic("ops", "ops-secret"));
        String audit = get("/api/audit", basic("ops", "ops-secret")).body();
        assertThat(audit).contains("\"actor\":\"ops\"", "\"action\":\"device.enroll\"");
        // append-only in the database itself: not even the server's own database user can rewrite or remove a row
        for (String sql : List.of("update audit_event set actor = 'someone-else'", "delete from audit_event",
                "truncate audit_event")) {
            assertThatThrownBy(() -> jdbc.sql(sql).update()).as(sql).rootCause()
                    .hasMessageContaining("the audit log is append-only");
        }
        assertThat(get("/api/audit", basic("ops", "ops-secret")).body()).contains("\"actor\":\"ops\"");
    }

    @Test
    void aTicketForAnUnknownDeviceIsKeptAsUnmatched() throws Exception {
        HttpResponse<String> r = post("/api/tickets", "{\"serial\":\"NOPE\",\"category\":\"no-picture\"}",
                basic("cc", "cc-secret"));
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(DeviceApiJson.mapper().readTree(r.body()).get("matched").asBoolean()).isFalse();
    }

    @Test
    void devicesFetchByteRangesOfReleasedImagesOnly() throws Exception {
        byte[] image = bytes(700_000, 9);
        long id = DeviceApiJson.mapper().readTree(upload(image, "ranges", 1).body()).get("id").asLong();
        String root = DeviceApiJson.mapper().readTree(get("/api/images/" + id, basic("ops", "ops-secret")).body())
                .get("rootDigest").asString();
        String bearer = "Bearer " + DeviceApiJson.mapper().readTree(post("/api/devices",
                "{\"serial\":\"SN-RANGE\",\"hardwareModel\":\"stb-x1\"}", basic("ops", "ops-secret")).body())
                .get("token").asString();
        assertThat(get("/api/device/images/" + root, bearer).statusCode()).as("a draft is not served").isEqualTo(404);
        post("/api/images/" + id + "/release", "{}", basic("ops", "ops-secret"));

        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri("/api/device/images/" + root))
                .header("Authorization", bearer).header("Range", "bytes=262000-262999").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).contains("bytes 262000-262999/700000");
        assertThat(r.body()).isEqualTo(java.util.Arrays.copyOfRange(image, 262000, 263000));

        HttpResponse<byte[]> suffix = http.send(HttpRequest.newBuilder(uri("/api/device/images/" + root))
                .header("Authorization", bearer).header("Range", "bytes=-10").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(suffix.body()).isEqualTo(java.util.Arrays.copyOfRange(image, image.length - 10, image.length));

        HttpResponse<byte[]> outside = http.send(HttpRequest.newBuilder(uri("/api/device/images/" + root))
                .header("Authorization", bearer).header("Range", "bytes=800000-").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(outside.statusCode()).isEqualTo(416);
        assertThat(outside.headers().firstValue("Content-Range")).contains("bytes */700000");

        assertThat(get("/api/device/images/" + root, null).statusCode()).as("devices only").isEqualTo(401);
    }

    @Test
    void anOfflineSignatureByAnUnknownKeyIsRefusedAndARevokedImageIsNotServed() throws Exception {
        long id = DeviceApiJson.mapper().readTree(upload(bytes(5000, 10), "revoked", 1).body()).get("id").asLong();
        var stranger = org.stbguest.image.SoftwareSigner.generate();
        String manifest = DeviceApiJson.mapper().readTree(get("/api/images/" + id + "/manifest", basic("ops", "ops-secret")).body())
                .get("manifestBase64").asString();
        byte[] sig = stranger.sign(java.util.Base64.getDecoder().decode(manifest));
        HttpResponse<String> r = post("/api/images/" + id + "/signatures", "{\"keyId\":\"" + stranger.keyId().hex()
                + "\",\"signatureBase64\":\"" + java.util.Base64.getEncoder().encodeToString(sig) + "\"}",
                basic("ops", "ops-secret"));
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(r.body()).contains("not a release key");

        post("/api/images/" + id + "/release", "{}", basic("ops", "ops-secret"));
        HttpResponse<String> revoked = post("/api/images/" + id + "/revoke", "{}", basic("ops", "ops-secret"));
        assertThat(DeviceApiJson.mapper().readTree(revoked.body()).get("state").asString()).isEqualTo("REVOKED");
        assertThat(post("/api/rollouts", "{\"imageId\":" + id + "}", basic("ops", "ops-secret")).statusCode())
                .as("a revoked image cannot be rolled out").isEqualTo(409);
    }

    @Test
    void theKeySetChainIsPublicAndARotationSignedOnlyByNewKeysIsRefused() throws Exception {
        HttpResponse<String> chain = get("/api/keysets", null);
        assertThat(chain.statusCode()).isEqualTo(200);
        var current = DeviceApiJson.mapper().readValue(chain.body(), org.stbguest.image.trust.SignedKeySet[].class);
        assertThat(current).hasSize(1);
        var v1 = current[0].unverified();

        var attacker = org.stbguest.image.SoftwareSigner.generate();
        var evil = new org.stbguest.image.trust.KeySet(2, v1.expires(),
                new org.stbguest.image.trust.RoleKeys(1, java.util.List.of(attacker.publicKey())), v1.release(), v1.director());
        var signed = org.stbguest.image.trust.SignedKeySet.sign(evil, attacker);
        HttpResponse<String> r = post("/api/keysets", DeviceApiJson.mapper().writeValueAsString(signed), basic("ops", "ops-secret"));
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).contains("current root keys");
        assertThat(DeviceApiJson.mapper().readValue(get("/api/keysets", null).body(),
                org.stbguest.image.trust.SignedKeySet[].class)).hasSize(1);
    }

    @Test
    void garbageCollectionKeepsEveryChunkAnImageUses() throws Exception {
        byte[] image = bytes(600_000, 11);
        long id = DeviceApiJson.mapper().readTree(upload(image, "gc", 1).body()).get("id").asLong();
        HttpResponse<String> gc = post("/api/images/gc?graceMinutes=0", "{}", basic("ops", "ops-secret"));
        assertThat(gc.statusCode()).isEqualTo(200);
        post("/api/images/" + id + "/release", "{}", basic("ops", "ops-secret"));
        String root = DeviceApiJson.mapper().readTree(get("/api/images/" + id, basic("ops", "ops-secret")).body())
                .get("rootDigest").asString();
        String bearer = "Bearer " + DeviceApiJson.mapper().readTree(post("/api/devices",
                "{\"serial\":\"SN-GC\",\"hardwareModel\":\"stb-x1\"}", basic("ops", "ops-secret")).body())
                .get("token").asString();
        HttpResponse<byte[]> whole = http.send(HttpRequest.newBuilder(uri("/api/device/images/" + root))
                .header("Authorization", bearer).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(whole.body()).isEqualTo(image);
    }

    private HttpResponse<String> upload(byte[] image, String role, long version) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(uri("/api/images?role=" + role.replace(" ", "%20") + "&version=" + version
                        + "&models=stb-x1"))
                .header("Authorization", basic("ops", "ops-secret"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static long countFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
