package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.Enrollment;

/**
 * PostgreSQL stopped in the middle of a rollout and started again: meanwhile health says the database is down and
 * boxes are told 503 with Retry-After (not that their token is bad, nor a bare 500); every report acknowledged
 * before the stop is still there after it; once the database is back the server reconnects by itself, the check-ins
 * queued meanwhile are written and the rollout finishes.
 */
class DatabaseFaultTest {

    private static final String ROLE = "entertainment";

    @Test
    void aDatabaseRestartMidRolloutLosesNoAcknowledgedReportAndTheRolloutFinishes(@TempDir Path dir) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path pgData = dir.resolve("pg");
        EmbeddedPostgres pg = start(pgData, port);
        try (EmbeddedServer server = new EmbeddedServer(dir.resolve("data"), dir.resolve("server.log"), Map.of(
                "spring.datasource.url", pg.getJdbcUrl("postgres", "postgres"),
                "spring.datasource.username", "postgres",
                "spring.datasource.hikari.connection-timeout", "2000",
                "stb.rollout-tick", "200ms",
                "stb.check-in-interval", "60s"))) {
            OperatorApi ops = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            Fleet fleet = Fleet.create(ops, ROLE, 5, 200_000, "DBF-", 4);
            var v1 = fleet.v1();
            var v2 = fleet.v2();
            List<Enrollment> boxes = fleet.boxes();
            var rollout = ops.createRollout(v2.id(), 1_000_000, List.of(Map.of("share", 1.0)));
            ops.startRollout(rollout.id());
            for (Enrollment b : boxes) {
                assertThat(BoxCalls.checkIn(http, server.uri, b, ROLE, v1.rootDigest(), v2.rootDigest()).statusCode())
                        .isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> "ACTIVATING".equals(ops.rollout(rollout.id()).state()));
            int acknowledged = 0;
            for (Enrollment b : boxes.subList(0, 2)) {
                assertThat(BoxCalls.report(http, server.uri, b, ROLE, "ACTIVATED", v2.rootDigest()).statusCode())
                        .isEqualTo(202);
                acknowledged++;
            }

            pg.close(); // the database goes away mid-rollout
            HttpResponse<String> health = get(http, server, "/actuator/health");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).contains("DOWN");
            HttpResponse<String> refused = BoxCalls.checkIn(http, server.uri, boxes.get(2), ROLE, v2.rootDigest(),
                    v1.rootDigest());
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(DeviceApiJson.mapper().readTree(refused.body()).get("code").asString())
                    .isEqualTo("database-unavailable");
            HttpResponse<String> rolloutView = get(http, server, "/api/rollouts/" + rollout.id(),
                    server.adminPassword);
            assertThat(rolloutView.statusCode()).as("an operator read while the database is down: %s", rolloutView.body())
                    .isEqualTo(503);

            pg = start(pgData, port); // and comes back on the same data
            await().atMost(Duration.ofSeconds(60)).until(() -> get(http, server, "/actuator/health").statusCode() == 200);
            for (Enrollment b : boxes) { // the boxes retry: every one runs v2 committed
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        BoxCalls.checkIn(http, server.uri, b, ROLE, v2.rootDigest(), v1.rootDigest()).statusCode() == 200);
            }
            JdbcTemplate jdbc = server.jdbc();
            Long stored = jdbc.queryForObject("select count(*) from device_event where type = 'ACTIVATED'", Long.class);
            assertThat(stored).as("every report acknowledged before the stop").isEqualTo(acknowledged);
            await().atMost(Duration.ofSeconds(30)).until(() -> !"ACTIVATING".equals(ops.rollout(rollout.id()).state()));
            assertThat(ops.rollout(rollout.id()).state()).as("the rollout finished after the restart")
                    .isEqualTo("COMPLETED");
            assertThat(ops.rollout(rollout.id()).activated()).isEqualTo(4);
        } finally {
            pg.close();
        }
    }

    private static EmbeddedPostgres start(Path data, int port) throws java.io.IOException {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port)
                .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on").start();
    }

    private static HttpResponse<String> get(HttpClient http, EmbeddedServer s, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(s.uri + path.substring(1))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(HttpClient http, EmbeddedServer s, String path, String adminPassword)
            throws Exception {
        String basic = java.util.Base64.getEncoder().encodeToString(("admin:" + adminPassword)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(URI.create(s.uri + path.substring(1)))
                .header("Authorization", "Basic " + basic).GET().build(), HttpResponse.BodyHandlers.ofString());
    }


}
