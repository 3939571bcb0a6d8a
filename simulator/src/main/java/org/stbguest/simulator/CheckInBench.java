package org.stbguest.simulator;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * {@code bench/checkin}: the real operator server on its embedded PostgreSQL answering check-ins over real HTTP
 * (keep-alive HTTP/1.1 connections from a plain socket client, each client thread one connection, cycling over the
 * devices), server, database and load
 * on this machine. A rollout is live (its image staged by every box, its first wave activated), so an answer
 * carries the signed statements the box lacks. The devices are bulk-loaded into the database as enrolled boxes that
 * have checked in before (enrolling 100,000 over HTTP would time the enrolment, not the check-in); their tokens are
 * {@code bench-token-N}. Bounded in time: a warm-up and one measured phase per connection count.
 * Ends with {@code checkin: devices=N connections=C rate_per_s=X p50_ms=Y p99_ms=Z} for each case, 100,000 devices
 * at 16 connections last.
 */
final class CheckInBench {

    private static final String MODEL = DemoScenario.MODEL;
    private static final String ROLE = "entertainment";

    private CheckInBench() {
    }

    record Result(int devices, int connections, double rate, double p50, double p99, double xactsPerCheckIn,
                  long errors, int answerBytes) {
    }

    static int run(Duration phase, List<Integer> fleets, List<Integer> connections) throws Exception {
        Path dir = Files.createTempDirectory("stb-checkin-");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        List<Result> results = new ArrayList<>();
        try (EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), dir.resolve("checkin.log"),
                Map.of("stb.check-in-interval", "300s"))) {
            OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            OperatorApi.Image[] images = images(admin);
            var v1 = images[0];
            var v2 = images[1];
            JdbcTemplate jdbc = server.jdbc();
            int loaded = 0;
            for (int fleet : fleets) {
                long t0 = System.nanoTime();
                load(jdbc, loaded, fleet, v1.rootDigest(), v2.rootDigest());
                loaded = Math.max(loaded, fleet);
                System.out.printf("%d devices loaded (%.1f s)%n", fleet, (System.nanoTime() - t0) / 1e9);
                if (results.isEmpty()) {
                    var rollout = admin.createRollout(v2.id(), 1_000_000);
                    admin.startRollout(rollout.id());
                    admin.advanceRollout(rollout.id()); // the first wave: an activate statement is out
                    System.out.println("rollout " + rollout.id() + " live: v2 staged everywhere, first wave activated");
                }
                String body = body(v1, v2);
                HttpRequest.Builder base = HttpRequest.newBuilder(server.uri.resolve("/api/device/check-in"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30));
                int answerBytes = http.send(base.copy().header("Authorization", "Bearer bench-token-0").build(),
                        HttpResponse.BodyHandlers.ofByteArray()).body().length;
                // warm-up: a minute at least before the first figures (the JIT on two shared cores needs it: a cold
                // server answers a third of its warm rate), a phase before each later fleet's
                drive(server.uri, body, fleet, 16, results.isEmpty() ? phase.multipliedBy(4) : phase, null);
                List<Integer> order = new ArrayList<>(connections);
                if (order.remove(Integer.valueOf(16))) {
                    order.add(16); // the figure last
                }
                for (int c : order) {
                    long x0 = xacts(jdbc);
                    Result r = drive(server.uri, body, fleet, c, phase, answerBytes);
                    long xacts = xacts(jdbc) - x0;
                    r = new Result(r.devices(), r.connections(), r.rate(), r.p50(), r.p99(),
                            (double) xacts / Math.max(1, r.rate() * phase.toNanos() / 1e9), r.errors(), answerBytes);
                    results.add(r);
                    System.out.printf("devices=%d connections=%d: %.0f check-ins/s, p50 %.2f ms, p99 %.2f ms, "
                                    + "%.2f database transactions per check-in, %d errors, answer %d bytes%n",
                            r.devices(), r.connections(), r.rate(), r.p50(), r.p99(), r.xactsPerCheckIn(), r.errors(),
                            answerBytes);
                }
            }
        } finally {
            SimulatorMain.deleteTree(dir);
        }
        for (Result r : results) {
            System.out.printf("checkin: devices=%d connections=%d rate_per_s=%.0f p50_ms=%.2f p99_ms=%.2f%n",
                    r.devices(), r.connections(), r.rate(), r.p50(), r.p99());
        }
        return results.stream().allMatch(r -> r.errors() == 0) ? 0 : 1;
    }

    /** Two released images of 4 MiB: v1 that the boxes run, v2 that they hold staged. */
    static OperatorApi.Image[] images(OperatorApi admin) throws Exception {
        Random random = new Random(7);
        byte[] bytes = new byte[4 << 20];
        random.nextBytes(bytes);
        var v1 = admin.upload(bytes, ROLE, 1, 1, List.of(MODEL));
        admin.release(v1.id());
        random.nextBytes(bytes);
        var v2 = admin.upload(bytes, ROLE, 2, 1, List.of(MODEL));
        admin.release(v2.id());
        return new OperatorApi.Image[] {v1, v2};
    }

    /** A box's check-in: running v1 in slot A, v2 staged in B, no statements held. */
    static String body(OperatorApi.Image v1, OperatorApi.Image v2) {
        return """
                {"keySetVersion":1,"roles":[{"role":"%s","activeSlot":"A","activeDigest":"%s","slots":[
                {"slot":"A","digest":"%s","version":1,"securityVersion":1,"successful":true},
                {"slot":"B","digest":"%s","version":2,"securityVersion":1,"successful":false}]}],
                "statements":{}}""".formatted(ROLE, v1.rootDigest(), v1.rootDigest(), v2.rootDigest());
    }

    /** Adds devices {@code from} to {@code to - 1}: enrolled, checked in before, running v1 with v2 staged. */
    static void load(JdbcTemplate jdbc, int from, int to, String v1, String v2) {
        if (to <= from) {
            return;
        }
        jdbc.update("""
                insert into device (id, serial, hardware_model, token_hash, enrolled_at, last_check_in)
                select gen_random_uuid(), 'BENCH-' || i, ?,
                       encode(sha256(convert_to('bench-token-' || i, 'UTF8')), 'hex'), now(), now()
                from generate_series(?, ?) i""", MODEL, from, to - 1);
        jdbc.update("""
                insert into device_role_state (device_id, role, active_digest, staged_digest, updated_at)
                select d.id, ?, ?, ?, now() from device d where d.serial like 'BENCH-%'
                on conflict do nothing""", ROLE, v1, v2);
        jdbc.execute("analyze device");
        jdbc.execute("analyze device_role_state");
    }

    private static long xacts(JdbcTemplate jdbc) {
        // the statistics collector's counters lag; a snapshot clear makes this read current
        jdbc.execute("select pg_stat_clear_snapshot()");
        Long n = jdbc.queryForObject(
                "select xact_commit + xact_rollback from pg_stat_database where datname = current_database()",
                Long.class);
        return n == null ? 0 : n;
    }

    /**
     * {@code connections} threads, each with one keep-alive HTTP/1.1 connection, sending check-ins back to back for
     * {@code length}, cycling over the devices. A plain socket client: the request bytes are built once but for the
     * token, and the answer is read by its Content-Length, so the load costs the machine little next to the server
     * (the JDK's HttpClient took about a third of the two cores at these rates).
     */
    static Result drive(java.net.URI server, String body, int devices, int connections, Duration length,
                                Integer answerBytes) throws Exception {
        AtomicLong next = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long end = System.nanoTime() + length.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        List<Future<long[]>> futures = new ArrayList<>();
        byte[] head = ("POST /api/device/check-in HTTP/1.1\r\nHost: " + server.getHost() + ":" + server.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\nAuthorization: Bearer bench-token-")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        for (int t = 0; t < connections; t++) {
            futures.add(pool.submit(() -> {
                long[] micros = new long[1 << 16];
                int n = 0;
                java.net.Socket socket = null;
                try {
                    java.io.OutputStream out = null;
                    java.io.InputStream in = null;
                    while (System.nanoTime() < end && n < 50_000_000) {
                        if (socket == null) { // Tomcat closes a connection after 100 requests: open the next
                            socket = new java.net.Socket(server.getHost(), server.getPort());
                            socket.setTcpNoDelay(true);
                            socket.setSoTimeout(30_000);
                            out = new java.io.BufferedOutputStream(socket.getOutputStream(), 4096);
                            in = new java.io.BufferedInputStream(socket.getInputStream(), 16384);
                        }
                        long device = next.getAndIncrement() % devices;
                        long s = System.nanoTime();
                        out.write(head);
                        out.write(Long.toString(device).getBytes(StandardCharsets.US_ASCII));
                        out.write(tail);
                        out.flush();
                        int status = readResponse(in);
                        long took = (System.nanoTime() - s) / 1000;
                        if (status < 0) { // the server said it closes the connection after this answer
                            socket.close();
                            socket = null;
                            status = -status;
                        }
                        if (status != 200) {
                            errors.incrementAndGet();
                            continue;
                        }
                        if (n == micros.length) {
                            micros = Arrays.copyOf(micros, n * 2);
                        }
                        micros[n++] = took;
                    }
                } finally {
                    if (socket != null) {
                        socket.close();
                    }
                }
                return Arrays.copyOf(micros, n);
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (var f : futures) {
            all.add(f.get(length.toSeconds() + 120, TimeUnit.SECONDS));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        if (merged.length == 0) {
            return new Result(devices, connections, 0, 0, 0, 0, errors.get(), answerBytes == null ? 0 : answerBytes);
        }
        return new Result(devices, connections, merged.length / seconds, merged[merged.length / 2] / 1000.0,
                merged[(int) Math.min(merged.length - 1, Math.ceil(merged.length * 0.99) - 1)] / 1000.0, 0,
                errors.get(), answerBytes == null ? 0 : answerBytes);
    }

    /** Reads one HTTP/1.1 response (headers, then a Content-Length or chunked body): its status, negated when the server closes the connection after it. */
    private static int readResponse(java.io.InputStream in) throws java.io.IOException {
        String statusLine = line(in);
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            String name = h.substring(0, colon).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(h.substring(colon + 1).trim());
            } else if (name.equalsIgnoreCase("Transfer-Encoding") && h.toLowerCase().contains("chunked")) {
                chunked = true;
            } else if (name.equalsIgnoreCase("Connection") && h.toLowerCase().contains("close")) {
                close = true;
            }
        }
        if (chunked) {
            for (long size = Long.parseLong(line(in).trim(), 16); size > 0; size = Long.parseLong(line(in).trim(), 16)) {
                in.skipNBytes(size);
                line(in);
            }
            line(in);
        } else if (length > 0) {
            in.skipNBytes(length);
        }
        return close ? -status : status;
    }

    private static String line(java.io.InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new java.io.EOFException("the server closed the connection");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
