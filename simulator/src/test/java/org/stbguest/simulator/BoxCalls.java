package org.stbguest.simulator;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.stbguest.device.api.Enrollment;

/**
 * A box's device-API calls as the server tests make them by hand: a check-in describing one guest role in slot A (and,
 * when given, another image in slot B), and a report about slot B. A report's id is drawn from the box, its type and
 * digest, so sending one again is what an agent does when an answer was lost: the same report with the same id.
 */
final class BoxCalls {

    private BoxCalls() {
    }

    static HttpResponse<String> checkIn(HttpClient http, URI server, Enrollment box, String role, String active,
                                        String other) throws IOException, InterruptedException {
        String slots = "{\"slot\":\"A\",\"digest\":\"" + active + "\",\"version\":1,\"securityVersion\":1,"
                + "\"successful\":true}" + (other == null ? "" : ",{\"slot\":\"B\",\"digest\":\"" + other
                + "\",\"version\":2,\"securityVersion\":1,\"successful\":true}");
        String body = "{\"keySetVersion\":1,\"roles\":[{\"role\":\"" + role + "\",\"activeSlot\":\"A\","
                + "\"activeDigest\":\"" + active + "\",\"slots\":[" + slots + "]}]}";
        return send(http, server.resolve("api/device/check-in"), box, body);
    }

    static HttpResponse<String> report(HttpClient http, URI server, Enrollment box, String role, String type,
                                       String digest) throws IOException, InterruptedException {
        return send(http, server.resolve("api/device/reports"), box, "{\"type\":\"" + type + "\",\"role\":\"" + role
                + "\",\"digest\":\"" + digest + "\",\"slot\":\"B\",\"id\":\"" + java.util.UUID.nameUUIDFromBytes(
                (box.deviceId() + "/" + type + "/" + digest).getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\"}");
    }

    private static HttpResponse<String> send(HttpClient http, URI uri, Enrollment box, String json)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + box.token())
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
