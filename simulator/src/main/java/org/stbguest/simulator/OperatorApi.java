package org.stbguest.simulator;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.Enrollment;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.trust.SignedKeySet;
import tools.jackson.databind.JsonNode;

/** The simulator's client for the operator REST API, as an operator or the call center would use it. */
final class OperatorApi {

    /** An image as the server describes it. */
    record Image(long id, String role, long version, long size, String rootDigest) {
    }

    /** Rollout progress as the server reports it. */
    record Rollout(long id, String state, long targets, long staged, long activated, long onPrevious, String endReason,
                   int wave, long waveBoxes, long everActivated, long backOnPrevious) {
    }

    private final HttpClient http;
    private final URI server;
    private final String authorization;

    OperatorApi(HttpClient http, URI server, String user, String password) {
        this.http = http;
        this.server = server;
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    OperatorApi as(String user, String password) {
        return new OperatorApi(http, server, user, password);
    }

    Image upload(byte[] image, String role, long version, long securityVersion, List<String> models) throws IOException, InterruptedException {
        String q = "/api/images?role=" + role + "&version=" + version + "&securityVersion=" + securityVersion
                + "&models=" + String.join(",", models);
        JsonNode n = send(request(q).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build());
        return new Image(n.get("id").asLong(), n.get("role").asString(), n.get("version").asLong(), n.get("size").asLong(),
                n.get("rootDigest").asString());
    }

    SignedManifest signedManifest(long imageId) throws IOException, InterruptedException {
        return DeviceApiJson.mapper().treeToValue(send(request("/api/images/" + imageId + "/manifest").GET().build()),
                SignedManifest.class);
    }

    Enrollment enroll(String serial, String model) throws IOException, InterruptedException {
        return DeviceApiJson.mapper().treeToValue(postJson("/api/devices", Map.of("serial", serial, "hardwareModel", model)),
                Enrollment.class);
    }

    /** The key-set chain; its first element is what boxes are pinned to at manufacturing. */
    List<SignedKeySet> keySets() throws IOException, InterruptedException {
        JsonNode n = send(request("/api/keysets").GET().build());
        List<SignedKeySet> out = new java.util.ArrayList<>();
        for (JsonNode k : n) {
            out.add(DeviceApiJson.mapper().treeToValue(k, SignedKeySet.class));
        }
        return out;
    }

    void release(long imageId) throws IOException, InterruptedException {
        postJson("/api/images/" + imageId + "/release", Map.of());
    }

    Rollout finalizeRollout(long id) throws IOException, InterruptedException {
        return rollout(postJson("/api/rollouts/" + id + "/finalize", Map.of()));
    }

    Rollout createRollout(long imageId, int complaintThreshold) throws IOException, InterruptedException {
        return rollout(postJson("/api/rollouts", Map.of("imageId", imageId, "complaintThreshold", complaintThreshold)));
    }

    /** A rollout in waves: each map a wave as the API takes it ({@code share} or {@code count}, {@code minSoak}...). */
    Rollout createRollout(long imageId, int complaintThreshold, List<Map<String, Object>> waves)
            throws IOException, InterruptedException {
        return rollout(postJson("/api/rollouts", Map.of("imageId", imageId, "complaintThreshold", complaintThreshold,
                "waves", waves)));
    }

    /** The guard's latest evaluation of a rollout. */
    record GuardPoint(double sprt, double sprtThreshold, double cusum, double cusumThreshold, long eventsNew,
                      long eventsOld) {
    }

    /** The guard's latest evaluation, or null before its first. */
    GuardPoint guardLast(long id) throws IOException, InterruptedException {
        JsonNode e = send(request("/api/rollouts/" + id + "/guard").GET().build()).get("evaluations");
        if (e == null || e.isEmpty()) {
            return null;
        }
        JsonNode last = e.get(e.size() - 1);
        return new GuardPoint(last.get("sprt").asDouble(), last.get("sprtThreshold").asDouble(),
                last.get("cusum").asDouble(), last.get("cusumThreshold").asDouble(), last.get("eventsNew").asLong(),
                last.get("eventsOld").asLong());
    }

    /** Creates a call-center integration and returns its token (shown this once). */
    String createIntegration(String name) throws IOException, InterruptedException {
        return postJson("/api/integrations", Map.of("name", name)).get("token").asString();
    }

    /** A service API token for the caller's account, with {@code role}; the secret is in the answer only. */
    String createToken(String name, String role) throws IOException, InterruptedException {
        return postJson("/api/tokens", java.util.Map.of("name", name, "role", role)).get("token").asString();
    }

    /** Orders every box back to the previous image. */
    Rollout rollBack(long id) throws IOException, InterruptedException {
        return rollout(postJson("/api/rollouts/" + id + "/rollback", Map.of("reason", "ordered by the test")));
    }

    /** Starts the next wave now, whatever soak and success say. */
    Rollout advanceRollout(long id) throws IOException, InterruptedException {
        return rollout(postJson("/api/rollouts/" + id + "/advance", Map.of()));
    }

    Rollout startRollout(long id) throws IOException, InterruptedException {
        return rollout(postJson("/api/rollouts/" + id + "/start", Map.of()));
    }

    Rollout rollout(long id) throws IOException, InterruptedException {
        return rollout(send(request("/api/rollouts/" + id).GET().build()));
    }

    void ticket(UUID deviceId, String category) throws IOException, InterruptedException {
        postJson("/api/tickets", Map.of("deviceId", deviceId.toString(), "category", category));
    }

    /** Any operator GET, as JSON. */
    JsonNode getJson(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build());
    }

    /** Any operator POST with a JSON body, as JSON. */
    JsonNode post(String path, Object body) throws IOException, InterruptedException {
        return postJson(path, body);
    }

    private static Rollout rollout(JsonNode n) {
        JsonNode reason = n.get("endReason");
        return new Rollout(n.get("id").asLong(), n.get("state").asString(), n.get("targets").asLong(),
                n.get("staged").asLong(), n.get("activated").asLong(), n.get("onPrevious").asLong(),
                reason == null || reason.isNull() ? null : reason.asString(), n.get("wave").asInt(),
                n.get("waveBoxes") == null || n.get("waveBoxes").isNull() ? 0 : n.get("waveBoxes").asLong(),
                n.get("everActivated").asLong(), n.get("backOnPrevious").asLong());
    }

    private JsonNode postJson(String path, Object body) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(DeviceApiJson.mapper().writeValueAsBytes(body))).build());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", authorization).header("Accept", "application/json");
    }

    private JsonNode send(HttpRequest req) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() / 100 != 2) {
            throw new IOException(req.method() + " " + req.uri().getPath() + " answered " + r.statusCode() + ": "
                    + new String(r.body(), StandardCharsets.UTF_8));
        }
        return DeviceApiJson.mapper().readTree(r.body());
    }
}
