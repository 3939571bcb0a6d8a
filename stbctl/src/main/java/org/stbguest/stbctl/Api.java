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
        return send(request(path).GET().build(), true);
    }

    JsonNode post(String path, Object body) throws IOException, InterruptedException {
        byte[] json = body instanceof byte[] b ? b : DeviceApiJson.mapper().writeValueAsBytes(body);
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build(), true);
    }

    /** Streams a file as the request body, reporting bytes sent. */
    JsonNode upload(String path, Path file, LongConsumer progress) throws IOException, InterruptedException {
        long size = Files.size(file);
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> counting(file, progress)), size);
        return send(request(path).header("Content-Type", "application/octet-stream").timeout(Duration.ofHours(2))
                .POST(body).build(), false); // an image is not sent twice; the operator runs the command again
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

    /** Attempts of a request the server answers 503 with Retry-After (busy checking passwords, database away). */
    static final int ATTEMPTS = 5;
    /** The longest Retry-After waited for; a longer one is the error it names. */
    static final int MAX_RETRY_AFTER_S = 10;

    /**
     * Sends {@code req}; a 503 with Retry-After (the server checks no more passwords this second, or its database
     * is restarting) is waited out and sent again, at most {@link #ATTEMPTS} times, when {@code replayable}. Any
     * other answer outside 2xx is an {@link ApiError} with the problem's detail.
     */
    private JsonNode send(HttpRequest req, boolean replayable) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            long wait = r.statusCode() == 503 ? r.headers().firstValueAsLong("Retry-After").orElse(-1) : -1;
            if (replayable && attempt < ATTEMPTS && wait >= 0 && wait <= MAX_RETRY_AFTER_S) {
                System.err.println("stbctl: the server is busy (" + problemCode(r.body()) + "); trying again in "
                        + Math.max(1, wait) + " s");
                Thread.sleep(Math.max(1, wait) * 1000);
                continue;
            }
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
            return r.body().length == 0 ? DeviceApiJson.mapper().createObjectNode()
                    : DeviceApiJson.mapper().readTree(r.body());
        }
    }

    private static String problemCode(byte[] body) {
        try {
            String type = DeviceApiJson.mapper().readTree(body).path("type").asString("");
            return type.startsWith("urn:stb:problem:") ? type.substring("urn:stb:problem:".length()) : "503";
        } catch (RuntimeException e) {
            return "503";
        }
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
