package org.stbguest.agent;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.stbguest.device.api.CheckIn;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceApi;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.image.Digest;

/** The agent's HTTP client for the device API; every call carries the device's own bearer token. */
public final class ServerClient {

    private final HttpClient http;
    private final URI server;
    private final String token;
    private final Duration timeout;

    public ServerClient(HttpClient http, URI server, String token, Duration timeout) {
        this.http = http;
        this.server = server;
        this.token = token;
        this.timeout = timeout;
    }

    /** Checks in and returns the desired state. */
    public DesiredState checkIn(CheckIn checkIn) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = send(post(DeviceApi.CHECK_IN, DeviceApiJson.mapper().writeValueAsBytes(checkIn)));
        return DeviceApiJson.mapper().readValue(r.body(), DesiredState.class);
    }

    /** Sends one report. */
    public void report(DeviceReport report) throws IOException, InterruptedException {
        send(post(DeviceApi.REPORTS, DeviceApiJson.mapper().writeValueAsBytes(report)));
    }

    /** Fetches one chunk of an image by unicast (repair). The caller verifies it. */
    public byte[] fetchChunk(Digest root, int index) throws IOException, InterruptedException {
        HttpRequest req = request(DeviceApi.chunkPath(root, index)).GET().build();
        return send(req).body();
    }

    private HttpRequest post(String path, byte[] json) {
        return request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(server.resolve(path)).timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
    }

    private HttpResponse<byte[]> send(HttpRequest req) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() / 100 != 2) {
            String body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
            throw new ServerException(r.statusCode(), req.method() + " " + req.uri().getPath() + " answered "
                    + r.statusCode() + ": " + (body.length() > 300 ? body.substring(0, 300) : body));
        }
        return r;
    }

    /** The server answered with an error status. */
    public static final class ServerException extends IOException {
        private final int status;

        public ServerException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
