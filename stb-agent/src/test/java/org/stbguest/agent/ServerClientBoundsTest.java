package org.stbguest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.stbguest.device.api.CheckIn;
import org.stbguest.image.Digest;

/**
 * The box's HTTP client against a hostile server on loopback: every answer is read within a size bound, a deadline
 * and a minimum rate, so an endless, oversized or trickling answer ends in a clear error within seconds, never in a
 * hang or an {@link OutOfMemoryError}.
 */
class ServerClientBoundsTest {

    static final AgentConfig.Limits LIMITS = new AgentConfig.Limits(Duration.ofMillis(100), Duration.ofSeconds(5), 0.1,
            1 << 20, 2000, Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(6));

    private final HostileServer server = HostileServer.start();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ServerClient client = new ServerClient(http, server.uri(), "stbd_token", LIMITS);

    @AfterEach
    void stop() {
        server.close();
    }

    private static CheckIn checkIn() {
        return new CheckIn(1L, List.of());
    }

    @Test
    void anEndlessCheckInAnswerIsCutOffAtTheCapAndTheConnectionClosed() {
        server.answer(ex -> server.stream(ex, 200, -1));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> client.checkIn(checkIn())).isInstanceOf(BoundedExchange.TooLargeException.class)
                .hasMessageContaining("longer than the 1048576 bytes allowed");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(server.hungUp::get);
        assertThat(server.bytesWritten.get()).as("the server's writes stop soon after the cap (socket buffers aside)")
                .isLessThan(64L << 20);
    }

    @Test
    void aDeclaredHundredMebibyteAnswerIsRefusedBeforeItIsRead() {
        server.answer(ex -> {
            ex.sendResponseHeaders(200, 100L << 20);
            byte[] piece = new byte[64 << 10];
            for (int i = 0; i < 1600; i++) {
                ex.getResponseBody().write(piece);
                server.bytesWritten.addAndGet(piece.length);
            }
        });
        assertThatThrownBy(() -> client.checkIn(checkIn())).isInstanceOf(BoundedExchange.TooLargeException.class)
                .hasMessageContaining("declares 104857600 bytes");
        await().atMost(Duration.ofSeconds(10)).until(server.hungUp::get);
        assertThat(server.bytesWritten.get()).isLessThan(100L << 20);
    }

    @Test
    void aTricklingAnswerIsAbandonedAfterOneRateWindow() {
        server.answer(ex -> server.trickle(ex, 100)); // 10 B/s against a minimum of 2000 B/s
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> client.checkIn(checkIn())).isInstanceOf(BoundedExchange.TooSlowException.class)
                .hasMessageContaining("below the minimum 2000 B/s");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void aServerThatNeverAnswersTimesOut() {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        server.answer(ex -> release.await(30, java.util.concurrent.TimeUnit.SECONDS));
        try {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> client.checkIn(checkIn())).isInstanceOf(HttpTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        } finally {
            release.countDown();
        }
    }

    @Test
    void aRangeAnswerLongerThanTheRangeAskedIsRefused() {
        server.answer(ex -> {
            ex.getResponseHeaders().set("Content-Range", "bytes 0-99/1000");
            server.stream(ex, 206, 10L << 20);
        });
        assertThatThrownBy(() -> client.fetchRange(Digest.sha256(new byte[] {1}), 0, 100))
                .isInstanceOf(BoundedExchange.TooLargeException.class)
                .hasMessageContaining("longer than the 100 bytes allowed");
    }

    @Test
    void aTricklingRangeAnswerIsAbandoned() {
        server.answer(ex -> {
            ex.getResponseHeaders().set("Content-Range", "bytes 0-999999/1000000");
            server.trickle(ex, 50);
        });
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> client.fetchRange(Digest.sha256(new byte[] {1}), 0, 1_000_000))
                .isInstanceOf(BoundedExchange.TooSlowException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void anEndlessErrorAnswerGivesAShortMessageQuickly() {
        server.answer(ex -> server.stream(ex, 500, -1));
        assertThatThrownBy(() -> client.checkIn(checkIn())).isInstanceOf(ServerClient.ServerException.class)
                .hasMessageContaining("answered 500")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(500));
    }

    @Test
    void aGarbledCheckInAnswerIsAnIoErrorNotACrash() {
        server.answer(ex -> HostileServer.json(ex, 200, "{\"roles\":[{\"role\":".getBytes()));
        assertThatThrownBy(() -> client.checkIn(checkIn())).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("not a desired state");
    }

    @Test
    void anAnswerStuffedWithStatementsIsRefusedBeforeAnyIsVerified() {
        var signer = org.stbguest.image.SoftwareSigner.generate();
        var one = org.stbguest.image.trust.SignedStatement.sign(new org.stbguest.image.trust.SignedStatement.Envelope(1,
                java.time.Instant.now().plusSeconds(60), new org.stbguest.image.trust.Statement.Finalize("e", 1)), signer);
        byte[] body = org.stbguest.device.api.DeviceApiJson.mapper().writeValueAsBytes(
                new org.stbguest.device.api.DesiredState(List.of(), java.util.Collections.nCopies(1000, one), List.of(), 1000));
        server.answer(ex -> HostileServer.json(ex, 200, body));
        assertThatThrownBy(() -> client.checkIn(checkIn())).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("1000 statements");
    }

    @Test
    void anAnswerWithinTheBoundsIsRead() throws Exception {
        server.answer(ex -> HostileServer.json(ex, 200, "{\"roles\":[],\"checkInIntervalMillis\":7}".getBytes()));
        assertThat(client.checkIn(checkIn()).checkInIntervalMillis()).isEqualTo(7);
    }
}
