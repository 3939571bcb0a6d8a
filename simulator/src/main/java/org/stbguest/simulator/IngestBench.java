package org.stbguest.simulator;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.stbguest.device.api.Enrollment;

/**
 * {@code bench/ingest}: the real operator server on its embedded PostgreSQL, fed device events (batches of a box's
 * backlog, each device with its own token) and call-center tickets (CSV files through the webhook, an integration
 * token), server and load on the same machine. Each phase warms up, then runs for a fixed time with a fixed number
 * of client threads; bounded in time and count. Ends with {@code ingest: events_per_s=X tickets_per_s=Y}.
 */
final class IngestBench {

    private static final int DEVICES = 200;
    private static final int EVENTS_PER_BATCH = 200;
    private static final int TICKETS_PER_FILE = 500;

    private IngestBench() {
    }

    static int run(Duration phase, int threads) throws Exception {
        Path dir = Files.createTempDirectory("stb-ingest-");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        try (EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), dir.resolve("ingest.log"), Map.of())) {
            OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            List<Enrollment> boxes = new ArrayList<>();
            for (int i = 0; i < DEVICES; i++) {
                boxes.add(admin.enroll(String.format("INGEST-%04d", i), DemoScenario.MODEL));
            }
            String integration = admin.createIntegration("ingest-bench");
            System.out.println(DEVICES + " devices enrolled; " + threads + " client threads; phases of "
                    + phase.toSeconds() + " s after a warm-up of the same length");

            double events = measure("events", phase, threads, (n, count) -> {
                Enrollment box = boxes.get((int) (n % boxes.size()));
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(server.uri.resolve("/api/device/report-batch"))
                        .header("Authorization", "Bearer " + box.token()).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(reports())).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 202) {
                    count.addAndGet(EVENTS_PER_BATCH);
                }
            });
            AtomicLong ids = new AtomicLong();
            double tickets = measure("tickets", phase, threads, (n, count) -> {
                String csv = tickets(boxes, ids);
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri.resolve("/api/telemetry/tickets"))
                        .header("Authorization", "Bearer " + integration).header("Content-Type", "text/csv")
                        .POST(HttpRequest.BodyPublishers.ofString(csv)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    count.addAndGet(TICKETS_PER_FILE);
                } else {
                    throw new IllegalStateException("tickets answered " + r.statusCode() + ": " + r.body());
                }
            });
            // for comparison: one ticket per request, as a call center without batching would post them
            measure("single tickets (JSON, for comparison)", phase, threads, (n, count) -> {
                long id = ids.incrementAndGet();
                String json = "{\"serial\":\"" + boxes.get((int) (id % boxes.size())).serial()
                        + "\",\"category\":\"no-picture\",\"externalId\":\"BENCH-" + id + "\"}";
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(server.uri.resolve("/api/telemetry/tickets"))
                        .header("Authorization", "Bearer " + integration).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 201) {
                    count.incrementAndGet();
                }
            });
            System.out.printf("ingest: events_per_s=%.0f tickets_per_s=%.0f%n", events, tickets);
            return 0;
        } finally {
            SimulatorMain.deleteTree(dir);
        }
    }

    @FunctionalInterface
    interface Call {
        void run(long n, AtomicLong count) throws Exception;
    }

    /** Warm-up, then the measured phase; returns items per second of the measured phase. */
    private static double measure(String what, Duration phase, int threads, Call call) throws Exception {
        phase(phase, threads, call);
        long t0 = System.nanoTime();
        long items = phase(phase, threads, call);
        double rate = items / ((System.nanoTime() - t0) / 1e9);
        System.out.printf("%s: %d in %.1f s = %.0f/s%n", what, items, (System.nanoTime() - t0) / 1e9, rate);
        return rate;
    }

    private static long phase(Duration length, int threads, Call call) throws Exception {
        AtomicLong count = new AtomicLong();
        AtomicLong next = new AtomicLong();
        long end = System.nanoTime() + length.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                while (System.nanoTime() < end) {
                    call.run(next.getAndIncrement(), count);
                }
                return null;
            }));
        }
        for (var f : futures) {
            f.get(length.toSeconds() + 120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        return count.get();
    }

    /** A batch as an agent sends it: each report with its own id (the server stores a device's id once). */
    private static byte[] reports() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < EVENTS_PER_BATCH; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"type\":\"REFUSED\",\"role\":\"entertainment\",\"detail\":\"statement REPLAYED: #").append(i)
                    .append(" is not newer\",\"id\":\"").append(java.util.UUID.randomUUID()).append("\"}");
        }
        return sb.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String tickets(List<Enrollment> boxes, AtomicLong ids) {
        StringBuilder sb = new StringBuilder("external_id,serial,category,opened_at\n");
        String opened = Instant.now().minusSeconds(60).toString();
        for (int i = 0; i < TICKETS_PER_FILE; i++) {
            long id = ids.incrementAndGet();
            sb.append("BENCH-").append(id).append(',').append(boxes.get((int) (id % boxes.size())).serial())
                    .append(",no-picture,").append(opened).append('\n');
        }
        return sb.toString();
    }
}
