package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.Enrollment;
import org.stbguest.image.trust.KeySet;
import org.stbguest.image.trust.SignedKeySet;
import org.stbguest.image.trust.Statement;
import org.stbguest.image.trust.StatementCodec;
import org.stbguest.operator.db.Leadership;

/**
 * Two operator server instances on one PostgreSQL, as behind a load balancer: a change made through one reaches
 * the next check-in at the other (each answers from its own cache); the periodic work (waves, the guard) runs on one
 * instance only, so each action happens once; and when that instance stops, the other takes the work over and a
 * rollout started through the stopped one goes on.
 */
class TwoInstancesTest {

    private static final String ROLE = "entertainment";

    @Test
    void periodicWorkRunsOnceAndGoesOnWhenItsInstanceStops(@TempDir Path dir) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg"))
                .setCleanDataDirectory(true).start()) {
            Map<String, Object> shared = new HashMap<>(Map.of(
                    "spring.datasource.url", pg.getJdbcUrl("postgres", "postgres"),
                    "spring.datasource.username", "postgres",
                    // the instances share the signing keys and the chunk store, as they would a volume
                    "stb.keys.passphrase", "two-instances-test",
                    "stb.rollout-tick", "200ms",
                    "stb.guard.interval", "300ms",
                    "stb.gc.interval", "300ms",
                    "stb.check-in-interval", "60s"));
            List<EmbeddedServer> servers = new ArrayList<>();
            servers.add(new EmbeddedServer(dir.resolve("data"), dir.resolve("a.log"), shared));
            servers.add(new EmbeddedServer(dir.resolve("data"), dir.resolve("b.log"), shared));
            try {
                EmbeddedServer a = servers.get(0);
                EmbeddedServer b = servers.get(1);
                OperatorApi opsA = new OperatorApi(http, a.uri, "admin", a.adminPassword);
                OperatorApi opsB = new OperatorApi(http, b.uri, "admin", b.adminPassword);
                Fleet fleet = Fleet.create(opsA, opsB, ROLE, 3, 300_000, "TWO-", 6);
                var v1 = fleet.v1();
                var v2 = fleet.v2();
                List<Enrollment> boxes = fleet.boxes();
                assertThat(checkIn(http, b, boxes.get(0), v1.rootDigest(), null).roles()).isEmpty();

                // created and started through A: the next check-in at B is offered v2
                var rollout = opsA.createRollout(v2.id(), 1_000_000, List.of(
                        Map.of("count", 2, "minSoak", "PT2S"), Map.of("share", 1.0)));
                opsA.startRollout(rollout.id());
                assertThat(checkIn(http, b, boxes.get(0), v1.rootDigest(), null).roles()).hasSize(1);

                // every box stages v2: the wave starts once, whichever instance leads
                for (Enrollment box : boxes) {
                    checkIn(http, box.serial().endsWith("0") ? a : b, box, v1.rootDigest(), v2.rootDigest());
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> "ACTIVATING".equals(opsB.rollout(rollout.id()).state()));
                assertThat(activations(http, a, boxes.get(1), v1.rootDigest(), v2.rootDigest()))
                        .as("the wave's statement reaches check-ins at A").containsExactly(v2.rootDigest());
                assertThat(activations(http, b, boxes.get(1), v1.rootDigest(), v2.rootDigest()))
                        .as("and at B").containsExactly(v2.rootDigest());

                // the guard evaluates while both instances run: one evaluation per interval, not two
                JdbcTemplate jdbc = a.jdbc();
                await().atMost(Duration.ofSeconds(30)).until(() -> evaluations(jdbc, rollout.id()).size() >= 12);
                List<Timestamp> at = evaluations(jdbc, rollout.id());
                for (int i = 1; i < at.size(); i++) {
                    assertThat(at.get(i).getTime() - at.get(i - 1).getTime())
                            .as("evaluations %d and %d come one interval apart, from one instance", i - 1, i)
                            .isGreaterThanOrEqualTo(250);
                }
                assertThat(activationStatements(jdbc)).as("the wave's activation was signed once").isEqualTo(1);
                // and the chunk store's garbage collection runs once per interval, not once per instance
                List<Timestamp> gc = jdbc.queryForList("select occurred_at from audit_event where action = 'image.gc'"
                        + " and actor = 'system/gc' order by id", Timestamp.class);
                assertThat(gc).hasSizeGreaterThanOrEqualTo(3);
                for (int i = 1; i < gc.size(); i++) {
                    assertThat(gc.get(i).getTime() - gc.get(i - 1).getTime())
                            .as("collections %d and %d come one interval apart, from one instance", i - 1, i)
                            .isGreaterThanOrEqualTo(250);
                }

                // stop the instance that leads; the other takes over and moves the rollout on
                EmbeddedServer leader = leads(a) ? a : b;
                EmbeddedServer other = leader == a ? b : a;
                assertThat(leads(other)).isFalse();
                leader.close();
                servers.remove(leader);
                OperatorApi ops = new OperatorApi(http, other.uri, "admin", other.adminPassword);
                JdbcTemplate otherJdbc = other.jdbc();
                for (Enrollment box : boxes) { // every box runs v2 now: the first wave has succeeded
                    checkIn(http, other, box, v2.rootDigest(), v1.rootDigest());
                }
                // wave numbers in the view count from 1: the second wave is wave 2
                await().atMost(Duration.ofSeconds(30)).until(() -> ops.rollout(rollout.id()).wave() == 2
                        || "COMPLETED".equals(ops.rollout(rollout.id()).state()));
                assertThat(leads(other)).as("the remaining instance took the work over").isTrue();
                assertThat(activationStatements(otherJdbc)).as("the second wave was signed once").isEqualTo(2);

                ops.rollBack(rollout.id());
                assertThat(activations(http, other, boxes.get(2), v2.rootDigest(), v1.rootDigest()))
                        .as("the rollback reaches the next check-in").containsExactly(v1.rootDigest());
            } finally {
                for (EmbeddedServer s : servers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aNewRolloutAKeySetAndARollbackMadeAtOneInstanceReachTheNextCheckInAtTheOther(@TempDir Path dir)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg"))
                .setCleanDataDirectory(true).start()) {
            Map<String, Object> shared = Map.of(
                    "spring.datasource.url", pg.getJdbcUrl("postgres", "postgres"),
                    "spring.datasource.username", "postgres",
                    "stb.keys.passphrase", "two-instances-test",
                    "stb.rollout-tick", "200ms",
                    "stb.check-in-interval", "60s");
            try (EmbeddedServer a = new EmbeddedServer(dir.resolve("data"), dir.resolve("a.log"), shared);
                 EmbeddedServer b = new EmbeddedServer(dir.resolve("data"), dir.resolve("b.log"), shared)) {
                OperatorApi opsA = new OperatorApi(http, a.uri, "admin", a.adminPassword);
                Fleet fleet = Fleet.create(opsA, ROLE, 4, 200_000, "CACHE-", 3);
                var v1 = fleet.v1();
                var v2 = fleet.v2();
                List<Enrollment> boxes = fleet.boxes();
                for (Enrollment box : boxes) { // B's snapshot is loaded and in use
                    DesiredState idle = checkIn(http, b, box, v1.rootDigest(), null);
                    assertThat(idle.roles()).isEmpty();
                    assertThat(idle.keySets()).as("the box has key set v1").isEmpty();
                }

                var rollout = opsA.createRollout(v2.id(), 1_000_000, List.of(Map.of("share", 1.0)));
                opsA.startRollout(rollout.id());
                for (Enrollment box : boxes) {
                    assertThat(checkIn(http, b, box, v1.rootDigest(), null).roles())
                            .as("a rollout started at A reaches %s's next check-in at B", box.serial()).hasSize(1);
                }

                // a key set rotation published at A (co-signed by the bootstrap root)
                var current = opsA.keySets().get(0).unverified();
                var next = new KeySet(2, current.expires(), current.root(), current.release(), current.director());
                var cosigned = opsA.post("/api/keysets/cosign", SignedKeySet.sign(next));
                opsA.post("/api/keysets", cosigned);
                for (Enrollment box : boxes) {
                    assertThat(checkIn(http, b, box, v1.rootDigest(), v2.rootDigest()).keySets())
                            .as("key set v2 reaches %s's next check-in at B", box.serial())
                            .extracting(k -> k.unverified().version()).containsExactly(2L);
                }

                await().atMost(Duration.ofSeconds(30)).until(() -> "ACTIVATING".equals(opsA.rollout(rollout.id())
                        .state()));
                opsA.rollBack(rollout.id());
                for (Enrollment box : boxes) {
                    assertThat(activations(http, b, box, v2.rootDigest(), v1.rootDigest()))
                            .as("the rollback ordered at A reaches %s's next check-in at B", box.serial())
                            .containsExactly(v1.rootDigest());
                }
            }
        }
    }

    private static boolean leads(EmbeddedServer s) {
        return s.bean(Leadership.class).holdsLease();
    }

    private static List<Timestamp> evaluations(JdbcTemplate jdbc, long rollout) {
        return jdbc.queryForList("select evaluated_at from guard_evaluation where rollout_id = ? and signal = "
                + "'COMPLAINTS' order by id", Timestamp.class, rollout);
    }

    private static long activationStatements(JdbcTemplate jdbc) {
        Long n = jdbc.queryForObject("select count(*) from statement where kind = 'ACTIVATE'", Long.class);
        return n == null ? 0 : n;
    }

    private static List<String> activations(HttpClient http, EmbeddedServer s, Enrollment box, String active,
                                            String other) throws Exception {
        return checkIn(http, s, box, active, other).statements().stream()
                .map(st -> StatementCodec.decode(st.bytes()).statement())
                .filter(st -> st instanceof Statement.Activate).map(st -> ((Statement.Activate) st).image().hex())
                .toList();
    }

    private static DesiredState checkIn(HttpClient http, EmbeddedServer s, Enrollment box, String active,
                                        String other) throws Exception {
        HttpResponse<String> r = BoxCalls.checkIn(http, s.uri, box, ROLE, active, other);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return DeviceApiJson.mapper().readValue(r.body(), DesiredState.class);
    }
}
