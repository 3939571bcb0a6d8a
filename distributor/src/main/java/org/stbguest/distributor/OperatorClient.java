package org.stbguest.distributor;

import org.stbguest.multicast.TransmissionJob;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.stbguest.device.api.DeviceApiJson;
import tools.jackson.core.type.TypeReference;

/** The distributor's HTTP client for the operator server's {@code /api/distributor} endpoints (HTTP Basic). */
public final class OperatorClient {

    private static final TypeReference<List<TransmissionJob>> JOBS = new TypeReference<>() {
    };

    private final HttpClient http;
    private final URI server;
    private final String authorization;

    /** With an API token ({@code user} null: {@code secret} is the token) or an account's password. */
    public OperatorClient(HttpClient http, URI server, String user, String secret) {
        this.http = http;
        this.server = server;
        this.authorization = user == null ? "Bearer " + secret : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    public List<TransmissionJob> liveJobs() throws IOException, InterruptedException {
        return DeviceApiJson.mapper().readValue(get("/api/distributor/transmissions").body(), JOBS);
    }

    /** The signed activations (waves, rollbacks) to repeat on the control group now. */
    public List<org.stbguest.image.trust.SignedStatement> broadcasts() throws IOException, InterruptedException {
        return List.of(DeviceApiJson.mapper().readValue(get("/api/distributor/statements").body(),
                org.stbguest.image.trust.SignedStatement[].class));
    }

    public TransmissionJob markSending(long id) throws IOException, InterruptedException {
        HttpRequest req = request("/api/distributor/transmissions/" + id + "/sending")
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        return DeviceApiJson.mapper().readValue(check(http.send(req, HttpResponse.BodyHandlers.ofByteArray())).body(),
                TransmissionJob.class);
    }

    /** Downloads a transmission's image to {@code file}. */
    public void downloadImage(long id, Path file) throws IOException, InterruptedException {
        HttpRequest req = request("/api/distributor/transmissions/" + id + "/image").GET().build();
        HttpResponse<Path> r = http.send(req, HttpResponse.BodyHandlers.ofFile(file));
        if (r.statusCode() != 200) {
            throw new IOException("image download for transmission " + id + " answered " + r.statusCode());
        }
    }

    private HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return check(http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray()));
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", authorization).header("Accept", "application/json");
    }

    private static HttpResponse<byte[]> check(HttpResponse<byte[]> r) throws IOException {
        if (r.statusCode() / 100 != 2) {
            throw new IOException(r.request().method() + " " + r.request().uri().getPath() + " answered " + r.statusCode());
        }
        return r;
    }
}
