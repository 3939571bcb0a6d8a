package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.stbguest.device.api.Enrollment;
import org.stbguest.operator.OperatorServerApplication;

/**
 * The operator server as its own process, SIGKILLed in the middle of a rollout while boxes are sending reports, and
 * started again on the same database: every report it acknowledged (202) before the kill is stored, the boxes whose
 * reports were cut off retry, and the rollout, still where it was, finishes. The new process takes over the periodic
 * work at once: the killed one's advisory lock went with its connections.
 */
class ServerKillTest {

    private static final String ROLE = "entertainment";
    private static final int BOXES = 40;
    private static final String ADMIN_PASSWORD = "kill-test-admin-pw";

    private final List<Process> processes = new ArrayList<>();

    @Test
    void aServerKilledMidRolloutLosesNoAcknowledgedReportAndTheRolloutFinishesAfterARestart(@TempDir Path dir)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        int pgPort = freePort();
        int port = freePort();
        URI uri = URI.create("http://127.0.0.1:" + port + "/");
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg"))
                .setPort(pgPort).setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on").start()) {
            String jdbcUrl = pg.getJdbcUrl("postgres", "postgres");
            Process server = startServer(dir, port, jdbcUrl, dir.resolve("server-1.log"));
            awaitUp(http, uri, server, dir.resolve("server-1.log"));

            OperatorApi ops = new OperatorApi(http, uri, "admin", ADMIN_PASSWORD);
            Fleet fleet = Fleet.create(ops, ROLE, 11, 150_000, "KILL-", BOXES);
            var v1 = fleet.v1();
            var v2 = fleet.v2();
            List<Enrollment> boxes = fleet.boxes();
            var rollout = ops.createRollout(v2.id(), 1_000_000, List.of(Map.of("share", 1.0)));
            ops.startRollout(rollout.id());
            for (Enrollment b : boxes) {
                assertThat(BoxCalls.checkIn(http, uri, b, ROLE, v1.rootDigest(), v2.rootDigest()).statusCode())
                        .isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> "ACTIVATING".equals(ops.rollout(rollout.id()).state()));

            // boxes report from four threads; the server is SIGKILLed once a dozen reports were acknowledged
            Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicInteger cutOff = new AtomicInteger();
            ExecutorService senders = Executors.newFixedThreadPool(4);
            for (int t = 0; t < 4; t++) {
                int first = t;
                senders.submit(() -> {
                    for (int i = first; i < BOXES; i += 4) {
                        try {
                            if (BoxCalls.report(http, uri, boxes.get(i), ROLE, "ACTIVATED", v2.rootDigest())
                                    .statusCode() == 202) {
                                acknowledged.add(i);
                            }
                        } catch (IOException e) {
                            cutOff.incrementAndGet(); // the connection died with the server: not acknowledged
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
            }
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1))
                    .until(() -> acknowledged.size() >= 12);
            long pid = server.pid();
            server.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, no goodbye to PostgreSQL
            assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(server.exitValue()).as("killed by signal 9").isEqualTo(128 + 9);
            senders.shutdown();
            assertThat(senders.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            Set<Integer> ackedBeforeKill = Set.copyOf(acknowledged);
            assertThat(ackedBeforeKill.size()).as("the kill came mid-stream").isLessThan(BOXES);

            // what was acknowledged is in the database, before any restart
            JdbcTemplate jdbc = new JdbcTemplate(new DriverManagerDataSource(jdbcUrl, "postgres", ""));
            for (int i : ackedBeforeKill) {
                assertThat(jdbc.queryForObject("""
                                select count(*) from device_event e join device d on d.id = e.device_id
                                where d.serial = ? and e.type = 'ACTIVATED'""", Long.class, "KILL-" + i))
                        .as("acknowledged report of KILL-" + i + " (server pid " + pid + ")").isEqualTo(1);
            }

            Process restarted = startServer(dir, port, jdbcUrl, dir.resolve("server-2.log"));
            awaitUp(http, uri, restarted, dir.resolve("server-2.log"));
            assertThat(ops.rollout(rollout.id()).state()).as("the rollout is where it was").isEqualTo("ACTIVATING");
            for (int i = 0; i < BOXES; i++) { // every box checks in again; those not acknowledged report again
                assertThat(BoxCalls.checkIn(http, uri, boxes.get(i), ROLE, v2.rootDigest(), v1.rootDigest()).statusCode())
                        .isEqualTo(200);
                if (!ackedBeforeKill.contains(i)) {
                    assertThat(BoxCalls.report(http, uri, boxes.get(i), ROLE, "ACTIVATED", v2.rootDigest())
                            .statusCode()).isEqualTo(202);
                }
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> !"ACTIVATING".equals(ops.rollout(rollout.id()).state()));
            OperatorApi.Rollout done = ops.rollout(rollout.id());
            assertThat(done.state()).as("the rollout finished after the restart").isEqualTo("COMPLETED");
            assertThat(done.activated()).isEqualTo(BOXES);
            assertThat(jdbc.queryForObject("select count(distinct device_id) from device_event where type = 'ACTIVATED'",
                    Long.class)).as("every box's report is stored").isEqualTo((long) BOXES);
            // and stored once: a report stored but cut off before its 202 came again with its id, and was not stored again
            assertThat(jdbc.queryForObject("select count(*) from device_event where type = 'ACTIVATED'", Long.class))
                    .as("every report stored once").isEqualTo((long) BOXES);
            restarted.destroy();
            restarted.waitFor(30, TimeUnit.SECONDS);
        } finally {
            processes.forEach(p -> {
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    private Process startServer(Path dir, int port, String jdbcUrl, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                OperatorServerApplication.class.getName(),
                "--server.port=" + port, "--server.address=127.0.0.1",
                "--stb.data-dir=" + dir.resolve("data"),
                "--spring.datasource.url=" + jdbcUrl, "--spring.datasource.username=postgres",
                "--stb.keys.passphrase=kill-test-keys",
                "--stb.security.accounts.admin.password=" + ADMIN_PASSWORD,
                "--stb.security.accounts.admin.roles=ADMIN",
                "--stb.rollout-tick=200ms", "--stb.check-in-interval=60s",
                "--spring.main.banner-mode=off")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("STB_") || k.startsWith("SPRING_"));
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static void awaitUp(HttpClient http, URI uri, Process p, Path log) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!p.isAlive()) {
                throw new AssertionError("the server exited: " + Files.readString(log));
            }
            try {
                return http.send(HttpRequest.newBuilder(uri.resolve("actuator/health")).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }


}
