package org.stbguest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.agent.disk.Disk;
import org.stbguest.agent.disk.StateFile;
import org.stbguest.device.api.DeviceApi;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.device.api.ReportType;

/**
 * The box's outbox against a server whose answers get lost: every report carries the id it got when it was saved,
 * in every copy sent and after a restart, so the server can store it once however often it arrives.
 */
class ReportOutboxTest {

    private final HostileServer server = HostileServer.start();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService workers = Executors.newFixedThreadPool(2);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AgentRuntime runtime = new AgentRuntime(null, scheduler, workers, http,
            java.time.InstantSource.system());
    private final ServerClient client = new ServerClient(http, server.uri(), "stbd_token", ServerClientBoundsTest.LIMITS);
    private final List<DeviceReport> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger batches = new AtomicInteger();

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        server.close();
        scheduler.shutdownNow();
        workers.shutdownNow();
    }

    /** The server takes every batch, but the first {@code lost} answers never reach the box (a 503 in their place). */
    private void loseAnswers(int lost) {
        server.answer(ex -> {
            if (!ex.getRequestURI().getPath().equals(DeviceApi.REPORT_BATCH)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            received.addAll(List.of(DeviceApiJson.mapper().readValue(ex.getRequestBody().readAllBytes(),
                    DeviceReport[].class)));
            HostileServer.json(ex, batches.incrementAndGet() <= lost ? 503 : 202, new byte[0]);
        });
    }

    private ReportOutbox outbox() throws Exception {
        return new ReportOutbox(client, runtime, new StateFile(Disk.local(), dir, "outbox"), "box-1", 20, 100);
    }

    @Test
    void aBatchWhoseAnswerWasLostIsSentAgainWithTheSameIds() throws Exception {
        loseAnswers(2);
        try (ReportOutbox outbox = outbox()) {
            outbox.add(new DeviceReport(ReportType.CRASHED, "entertainment", null, null, "watchdog"));
            outbox.add(new DeviceReport(ReportType.REFUSED, "entertainment", null, null, "replayed key set"));
            await().atMost(Duration.ofSeconds(10)).until(() -> outbox.pending().isEmpty());
        }
        assertThat(batches.get()).as("two answers lost, then one taken").isGreaterThanOrEqualTo(3);
        assertThat(received).allSatisfy(r -> assertThat(r.id()).isNotNull());
        Map<ReportType, Set<UUID>> ids = received.stream().collect(Collectors.groupingBy(DeviceReport::type,
                Collectors.mapping(DeviceReport::id, Collectors.toSet())));
        assertThat(ids.get(ReportType.CRASHED)).as("every copy of the crash carries one id").hasSize(1);
        assertThat(ids.get(ReportType.REFUSED)).hasSize(1);
        assertThat(ids.get(ReportType.CRASHED)).doesNotContainAnyElementsOf(ids.get(ReportType.REFUSED));
        assertThat(received.stream().filter(r -> r.type() == ReportType.CRASHED).count()).isGreaterThan(1);
    }

    @Test
    void aReportKeepsItsIdAcrossARestart() throws Exception {
        loseAnswers(Integer.MAX_VALUE); // the server is unreachable before the power cut
        UUID id;
        try (ReportOutbox outbox = outbox()) {
            outbox.add(new DeviceReport(ReportType.CRASHED, "entertainment", null, null, "panic"));
            id = outbox.pending().get(0).id();
            await().atMost(Duration.ofSeconds(10)).until(() -> batches.get() >= 1);
        }
        assertThat(id).isNotNull();
        received.clear();
        loseAnswers(0);
        try (ReportOutbox again = outbox()) {
            assertThat(again.pending()).extracting(DeviceReport::id).containsExactly(id);
            again.flushSoon();
            await().atMost(Duration.ofSeconds(10)).until(() -> again.pending().isEmpty());
        }
        assertThat(received).extracting(DeviceReport::id).containsOnly(id);
    }

    @Test
    void anOutboxAnOlderAgentLeftWithoutIdsGetsThem() throws Exception {
        new StateFile(Disk.local(), dir, "outbox").save(DeviceApiJson.mapper().writeValueAsBytes(List.of(
                new DeviceReport(ReportType.CRASHED, "entertainment", null, null, "old"))));
        loseAnswers(1);
        try (ReportOutbox outbox = outbox()) {
            UUID id = outbox.pending().get(0).id();
            assertThat(id).isNotNull();
            outbox.flushSoon();
            await().atMost(Duration.ofSeconds(10)).until(() -> outbox.pending().isEmpty());
            assertThat(received).hasSizeGreaterThanOrEqualTo(2).extracting(DeviceReport::id).containsOnly(id);
        }
    }
}
