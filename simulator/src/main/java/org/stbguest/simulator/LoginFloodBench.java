package org.stbguest.simulator;

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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench/login-flood}: what a spray of HTTP Basic guesses does to the boxes' check-ins. The real server on its
 * embedded PostgreSQL with {@code devices} boxes and a live rollout (as {@code bench/checkin}); after a minute's
 * warm-up, three phases of S seconds at 16 check-in connections: quiet; while {@code flooders} threads send Basic
 * logins with invented names (each costs the server a full bcrypt check, and no lock-out can stop invented names);
 * and, for comparison, 4 threads of a script calling {@code GET /api/images} with the right password, alone (what a
 * script or console using Basic gets per second). Ends with {@code login-flood: checkins_quiet_per_s=...
 * checkins_flooded_per_s=... p99_flooded_ms=... guesses_per_s=... basic_ok_per_s=...}.
 */
final class LoginFloodBench {

    private LoginFloodBench() {
    }

    static int run(Duration phase, int devices, int flooders) throws Exception {
        Path dir = Files.createTempDirectory("stb-login-flood-");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        // a script's account as a real server has it: its password hashed at bcrypt's default cost
        String scriptPassword = "script-" + Long.toHexString(new java.security.SecureRandom().nextLong());
        try (EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), dir.resolve("login-flood.log"),
                Map.of("stb.check-in-interval", "300s",
                        "stb.security.accounts.script.password", "{bcrypt}"
                                + new org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder().encode(scriptPassword),
                        "stb.security.accounts.script.roles", "VIEWER"))) {
            OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            OperatorApi.Image[] images = CheckInBench.images(admin);
            CheckInBench.load(server.jdbc(), 0, devices, images[0].rootDigest(), images[1].rootDigest());
            var rollout = admin.createRollout(images[1].id(), 1_000_000);
            admin.startRollout(rollout.id());
            admin.advanceRollout(rollout.id());
            String body = CheckInBench.body(images[0], images[1]);
            System.out.println(devices + " devices, rollout live; warming up for " + phase.multipliedBy(4).toSeconds()
                    + " s");
            CheckInBench.drive(server.uri, body, devices, 16, phase.multipliedBy(4), null);

            CheckInBench.Result quiet = CheckInBench.drive(server.uri, body, devices, 16, phase, null);
            System.out.printf("quiet: %.0f check-ins/s, p99 %.2f ms%n", quiet.rate(), quiet.p99());

            Map<Integer, AtomicLong> answers = new ConcurrentHashMap<>();
            AtomicLong names = new AtomicLong();
            List<Future<?>> flood = hammer(flooders, phase, http, server.uri.resolve("/api/images"),
                    () -> "flood-" + names.incrementAndGet() + ":guess",
                    status -> answers.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet());
            CheckInBench.Result flooded = CheckInBench.drive(server.uri, body, devices, 16, phase, null);
            finish(flood, phase);
            long guesses = answers.values().stream().mapToLong(AtomicLong::get).sum();
            System.out.printf("flooded by %d threads of invented logins: %.0f check-ins/s, p99 %.2f ms; the guesses "
                            + "were answered %s (%.0f/s)%n", flooders, flooded.rate(), flooded.p99(), answers,
                    guesses / (phase.toNanos() / 1e9));

            AtomicLong ok = new AtomicLong();
            long s0 = System.nanoTime();
            finish(hammer(4, phase, http, server.uri.resolve("/api/images"), () -> "script:" + scriptPassword,
                    status -> ok.addAndGet(status == 200 ? 1 : 0)), phase);
            double basicOk = ok.get() / ((System.nanoTime() - s0) / 1e9);
            System.out.printf("a script with the right password, 4 threads: %.0f requests/s%n", basicOk);
            System.out.printf("login-flood: devices=%d flooders=%d checkins_quiet_per_s=%.0f checkins_flooded_per_s=%.0f "
                            + "p99_quiet_ms=%.2f p99_flooded_ms=%.2f guesses_per_s=%.0f basic_ok_per_s=%.0f%n",
                    devices, flooders, quiet.rate(), flooded.rate(), quiet.p99(), flooded.p99(),
                    guesses / (phase.toNanos() / 1e9), basicOk);
            return quiet.errors() == 0 && flooded.errors() == 0 ? 0 : 1;
        } finally {
            SimulatorMain.deleteTree(dir);
        }
    }

    /** {@code threads} clients sending Basic GETs to {@code uri} back to back for {@code length}, each status counted. */
    private static List<Future<?>> hammer(int threads, Duration length, HttpClient http, java.net.URI uri,
                                          java.util.function.Supplier<String> credentials,
                                          java.util.function.IntConsumer statuses) {
        long end = System.nanoTime() + length.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            running.add(pool.submit(() -> {
                while (System.nanoTime() < end) {
                    statuses.accept(status(http, uri, credentials.get()));
                }
                return null;
            }));
        }
        pool.shutdown(); // the submitted loops run on, each to its end
        return running;
    }

    private static void finish(List<Future<?>> running, Duration length) throws Exception {
        for (Future<?> f : running) {
            f.get(length.toSeconds() + 60, TimeUnit.SECONDS);
        }
    }

    private static int status(HttpClient http, java.net.URI uri, String credentials) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).header("Authorization", "Basic " + Base64.getEncoder()
                                .encodeToString(credentials.getBytes(StandardCharsets.UTF_8)))
                        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }
}
