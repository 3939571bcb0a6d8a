package org.stbguest.stbctl;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.LongConsumer;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.trust.SignedKeySet;
import tools.jackson.databind.JsonNode;

/** The operator REST API as stbctl uses it. Errors carry the server's problem detail. */
final class Api {

    /** The server answered with an error. */
    static final class ApiError extends IOException {
        ApiError(String message) {
            super(message);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI server;
    private final String authorization;

    Api(URI server, String user, String password) {
        this(server, password == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    private Api(URI server, String authorization) {
        this.server = server;
        this.authorization = authorization;
    }

    static Api withToken(URI server, String token) {
        return new Api(server, "Bearer " + token);
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build());
    }

    JsonNode post(String path, Object body) throws IOException, InterruptedException {
        byte[] json = body instanceof byte[] b ? b : DeviceApiJson.mapper().writeValueAsBytes(body);
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build());
    }

    /** Streams a file as the request body, reporting bytes sent. */
    JsonNode upload(String path, Path file, LongConsumer progress) throws IOException, InterruptedException {
        long size = Files.size(file);
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> counting(file, progress)), size);
        return send(request(path).header("Content-Type", "application/octet-stream").timeout(Duration.ofHours(2))
                .POST(body).build());
    }

    List<SignedKeySet> keySets() throws IOException, InterruptedException {
        List<SignedKeySet> chain = new ArrayList<>();
        for (JsonNode n : get("/api/keysets")) {
            chain.add(DeviceApiJson.mapper().treeToValue(n, SignedKeySet.class));
        }
        return chain;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    private JsonNode send(HttpRequest req) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() / 100 != 2) {
            String detail = new String(r.body(), StandardCharsets.UTF_8);
            try {
                JsonNode problem = DeviceApiJson.mapper().readTree(r.body());
                if (problem.has("detail")) {
                    detail = problem.get("detail").asString();
                }
            } catch (RuntimeException e) {
                // not a problem document
            }
            throw new ApiError(req.method() + " " + req.uri().getPath() + ": " + r.statusCode() + " " + detail);
        }
        return r.body().length == 0 ? DeviceApiJson.mapper().createObjectNode() : DeviceApiJson.mapper().readTree(r.body());
    }

    private static InputStream counting(Path file, LongConsumer progress) {
        try {
            InputStream in = Files.newInputStream(file);
            return new java.io.FilterInputStream(in) {
                private long total;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    if (n > 0) {
                        total += n;
                        progress.accept(total);
                    }
                    return n;
                }
            };
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
