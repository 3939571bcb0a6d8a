package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.agent.disk.Disk;
import org.stbguest.agent.slot.BootControlStore;
import org.stbguest.agent.slot.SlotPair;
import org.stbguest.multicast.MulticastSettings;
import org.stbguest.distributor.DistributorConfig;
import org.stbguest.distributor.DistributorService;
import tools.jackson.databind.JsonNode;

/**
 * The agent process against the real server and the real distributor on loopback: it enrols with the fleet secret,
 * stages over multicast, activates and commits, rolls back on the signed statement, raises its floor on a finalize;
 * and when the server (with its database) stops in the middle of an install and comes back, the install resumes
 * with the chunks already verified kept, and none of them fetched again.
 */
class AgentProcessIntegrationTest {

    private static final String ROLE = "entertainment";
    private static final String MODEL = "stb-p1";
    private static final Pattern STAGED = Pattern.compile(
            "event=image_staged .*version=2 .*kept_chunks=(\\d+) multicast_chunks=(-?\\d+) repaired_chunks=(\\d+)");

    @Test
    void enrolStageActivateRollBackFinalizeAndResumeAnInstallAcrossAServerRestart(@TempDir Path dir)
            throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, Object> settings = Map.of("server.port", Integer.toString(port), "stb.rollout-tick", "200ms",
                "stb.security.fleet-enrolment-secret", "process-fleet-secret", "stb.keys.passphrase", "fixed-for-restart",
                // 16 Mbit/s: an 8 MiB image takes about four seconds on the air, long enough to stop the server in
                "stb.multicast.rate-bits-per-second", "16000000");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        byte[] v1 = TestFleet.image(1, 1 << 20);
        byte[] v2 = TestFleet.image(2, 8 << 20);
        byte[] v3 = TestFleet.image(3, 1 << 20);
        EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), dir.resolve("server.log"), settings);
        DistributorService distributor = distributor(server, http, dir);
        AgentProcess box = null;
        try {
            OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            var img1 = admin.upload(v1, ROLE, 1, 1, List.of(MODEL));
            var img2 = admin.upload(v2, ROLE, 2, 1, List.of(MODEL));
            var img3 = admin.upload(v3, ROLE, 3, 2, List.of(MODEL));
            for (var i : List.of(img1, img2, img3)) {
                admin.release(i.id());
            }
            box = new AgentProcess(dir.resolve("box"), server.uri, admin.keySets().get(0), List.of(
                    "serial=PROC-BOX-1", "hardware-model=" + MODEL, "roles=" + ROLE,
                    "enrolment-secret=process-fleet-secret", "hypervisor=simulated", "multicast-interface=lo",
                    "control-group=" + DistributorConfig.DEFAULT_CONTROL_GROUP,
                    "control-port=" + DistributorConfig.DEFAULT_CONTROL_PORT, "check-in-interval=500ms",
                    "min-check-in=200ms", "max-check-in=3s", "stage-timeout=3s")).start();
            Path state = box.dir.resolve("data").resolve("state");
            AgentProcess theBox = box;

            // install from nothing, over multicast
            var first = admin.createRollout(img1.id(), 1_000_000, List.of(Map.of("share", 1.0)));
            admin.startRollout(first.id());
            await().atMost(Duration.ofSeconds(60)).until(() -> admin.rollout(first.id()).state().equals("COMPLETED"));
            admin.finalizeRollout(first.id());
            assertThat(theBox.output()).containsPattern("event=image_staged .*version=1 .*multicast_chunks=[1-9]");

            // the next install: the server and its database stop while the box is receiving it
            var second = admin.createRollout(img2.id(), 1_000_000, List.of(Map.of("share", 1.0)));
            admin.startRollout(second.id());
            Path slotB = theBox.dir.resolve("data").resolve("slots").resolve(ROLE).resolve("slot-b.img");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(slotB) && Files.size(slotB) > (1 << 20));
            distributor.close();
            server.close();
            // the fetch it falls back to meets no server: a pause, not a failure to report against the image
            await().atMost(Duration.ofSeconds(30)).until(() -> theBox.output().contains("event=staging_paused"));
            assertThat(box.alive()).isTrue();
            server = new EmbeddedServer(dir.resolve("server"), dir.resolve("server.log"), settings);
            distributor = distributor(server, http, dir);
            OperatorApi again = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            await().atMost(Duration.ofSeconds(90)).until(() -> again.rollout(second.id()).state().equals("COMPLETED"));
            var staged = STAGED.matcher(box.output());
            assertThat(staged.find()).as(box.output()).isTrue();
            int kept = Integer.parseInt(staged.group(1));
            int fetched = Integer.parseInt(staged.group(2)) + Integer.parseInt(staged.group(3));
            int chunks = (int) ((v2.length + 262_143) / 262_144);
            System.out.printf("agent-process: resumed install kept=%d fetched=%d chunks=%d%n", kept, fetched, chunks);
            assertThat(box.output()).contains("event=staging_resumed");
            assertThat(kept).as("chunks verified before the server stopped are kept").isPositive();
            assertThat(kept + fetched).as("nothing verified was fetched again").isEqualTo(chunks);

            String id = deviceId(again);
            assertThat(hasEvent(again, id, "STAGE_FAILED")).as("the outage was not reported as a failed install")
                    .isFalse();
            assertThat(box.output()).doesNotContain("event=staging_failed");

            // a rollback: the signed statement takes the box back to v1 without downloading anything
            again.rollBack(second.id());
            await().atMost(Duration.ofSeconds(30)).until(() -> img1.rootDigest().equals(
                    again.getJson("/api/devices/" + id).get("activeDigestByRole").get(ROLE).asString()));
            await().atMost(Duration.ofSeconds(30)).until(() -> hasEvent(again, id, "ROLLED_BACK"));

            // an update with a higher security version, then finalized: the box's floor rises
            var third = again.createRollout(img3.id(), 1_000_000, List.of(Map.of("share", 1.0)));
            again.startRollout(third.id());
            await().atMost(Duration.ofSeconds(60)).until(() -> again.rollout(third.id()).state().equals("COMPLETED"));
            again.finalizeRollout(third.id());
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                SlotPair p = new BootControlStore(Disk.local(), state).load(ROLE).orElseThrow();
                return p.securityFloor() == 2;
            });
            assertThat(box.stop()).isIn(0, 143);
            assertThat(box.output()).doesNotContain("process-fleet-secret");
        } finally {
            if (box != null) {
                box.close();
            }
            distributor.close();
            server.close();
        }
    }

    private static DistributorService distributor(EmbeddedServer server, HttpClient http, Path dir) throws Exception {
        var config = new DistributorConfig(server.uri, "distributor", server.distributorPassword,
                MulticastSettings.LOOPBACK, DistributorConfig.DEFAULT_CONTROL_GROUP,
                DistributorConfig.DEFAULT_CONTROL_PORT, dir.resolve("distributor"), Duration.ofMillis(250), 10_000,
                Duration.ofMinutes(5));
        var d = new DistributorService(config, http);
        d.start();
        return d;
    }

    private static String deviceId(OperatorApi admin) throws Exception {
        for (JsonNode d : admin.getJson("/api/devices")) {
            if (d.get("serial").asString().equals("PROC-BOX-1")) {
                return d.get("id").asString();
            }
        }
        throw new AssertionError("the box did not enrol");
    }

    private static boolean hasEvent(OperatorApi admin, String id, String type) throws Exception {
        for (JsonNode e : admin.getJson("/api/devices/" + id + "/events?limit=200")) {
            if (e.get("type").asString().equals(type)) {
                return true;
            }
        }
        return false;
    }
}
