package org.stbguest.stbctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * stbctl's client against a scripted busy server on loopback (the real server's 503s are tested in the server's
 * PasswordChecksApiTest and DatabaseFaultTest): a 503 with Retry-After is waited out and sent again a bounded number
 * of times; an upload is never sent twice; a 503 without Retry-After, or with a long one, is the error it is.
 */
class ApiRetryTest {

    private static final String BUSY = "{\"type\":\"urn:stb:problem:password-checks-busy\",\"status\":503,"
            + "\"detail\":\"too many password checks at once; retry shortly\"}";

    private final AtomicInteger requests = new AtomicInteger();
    private HttpServer server;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** Answers the first {@code busy} requests 503 with {@code retryAfter} (none when null), then 200. */
    private Api api(int busy, String retryAfter) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] body;
            if (requests.incrementAndGet() <= busy) {
                if (retryAfter != null) {
                    ex.getResponseHeaders().set("Retry-After", retryAfter);
                }
                ex.getResponseHeaders().set("Content-Type", "application/problem+json");
                body = BUSY.getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(503, body.length);
            } else {
                body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
            }
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return new Api(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"), "ops", "secret");
    }

    @Test
    void aBusyAnswerWithRetryAfterIsWaitedOutAndSentAgain() throws Exception {
        Api api = api(2, "1");
        long t0 = System.nanoTime();
        assertThat(api.get("/api/images").path("ok").asBoolean()).isTrue();
        assertThat(requests.get()).isEqualTo(3);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("two waits of a second").isGreaterThanOrEqualTo(1900);
        requests.set(0);
        assertThat(api.post("/api/rollouts", java.util.Map.of("imageId", 1)).path("ok").asBoolean()).isTrue();
    }

    @Test
    void theAttemptsAreBounded() throws Exception {
        Api api = api(100, "0");
        assertThatThrownBy(() -> api.get("/api/images")).isInstanceOf(Api.ApiError.class)
                .hasMessageContaining("503").hasMessageContaining("too many password checks");
        assertThat(requests.get()).isEqualTo(Api.ATTEMPTS);
    }

    @Test
    void withoutRetryAfterOrWithALongOneTheErrorComesAtOnce() throws Exception {
        Api api = api(100, null);
        assertThatThrownBy(() -> api.get("/api/images")).isInstanceOf(Api.ApiError.class).hasMessageContaining("503");
        assertThat(requests.get()).isEqualTo(1);
        server.stop(0);
        requests.set(0);
        Api patient = api(100, "3600");
        assertThatThrownBy(() -> patient.get("/api/images")).isInstanceOf(Api.ApiError.class);
        assertThat(requests.get()).isEqualTo(1);
    }

    @Test
    void anUploadIsNeverSentTwice() throws Exception {
        Api api = api(1, "1");
        Path image = Files.write(dir.resolve("guest.img"), new byte[4096]);
        assertThatThrownBy(() -> api.upload("/api/images", image, n -> { })).isInstanceOf(Api.ApiError.class)
                .hasMessageContaining("503");
        assertThat(requests.get()).isEqualTo(1);
    }
}
