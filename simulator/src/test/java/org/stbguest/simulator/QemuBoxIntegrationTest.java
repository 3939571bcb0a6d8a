package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.agent.hypervisor.GuestImages;
import tools.jackson.databind.JsonNode;

/**
 * A real box: the agent process with the QEMU backend, enrolled with the fleet secret, against the real server on
 * its embedded PostgreSQL. Two guest roles, {@code entertainment} and {@code security}, boot and run side by side;
 * a healthy update commits; an update whose guest says FAIL, panics, hangs, or turns out to be another version or
 * another role's guest falls back to the running image, and the server has the reason. The security guest is never
 * touched by anything done to the entertainment role. One QEMU boot at a time.
 */
class QemuBoxIntegrationTest {

    private static final String MODEL = "stb-q1";
    private static final String FLEET_SECRET = "qemu-fleet-secret";

    @Test
    void twoRolesRunSideBySideAndEveryBadGuestFallsBackWithItsReasonOnTheServer(@TempDir Path dir) throws Exception {
        GuestImages.requireQemu();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), dir.resolve("server.log"),
                Map.of("stb.rollout-tick", "200ms", "stb.security.fleet-enrolment-secret", FLEET_SECRET))) {
            OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            long ent1 = upload(admin, "entertainment", 1, "healthy", "entertainment", 1);
            long ent2 = upload(admin, "entertainment", 2, "healthy", "entertainment", 2);
            long sec1 = upload(admin, "security", 1, "healthy", "security", 1);
            try (AgentProcess box = new AgentProcess(dir.resolve("box"), server.uri, admin.keySets().get(0), List.of(
                    "serial=QEMU-BOX-1", "hardware-model=" + MODEL, "roles=entertainment,security",
                    "enrolment-secret=" + FLEET_SECRET, "hypervisor=qemu", "qemu.ready-deadline=20s",
                    "check-in-interval=500ms", "min-check-in=200ms", "max-check-in=5s", "stage-timeout=5s"))
                    .start()) {
                await().atMost(Duration.ofSeconds(60)).until(() -> deviceId(admin) != null);
                String id = deviceId(admin);

                // both roles installed from nothing, each in its own QEMU, running side by side
                String secDigest = rolloutAndWait(admin, sec1, id, "security");
                String ent1Digest = rolloutAndWait(admin, ent1, id, "entertainment");
                String ent2Digest = rolloutAndWait(admin, ent2, id, "entertainment");
                JsonNode device = admin.getJson("/api/devices/" + id);
                assertThat(device.get("activeDigestByRole").get("security").asString()).isEqualTo(secDigest);
                assertThat(device.get("activeDigestByRole").get("entertainment").asString()).isEqualTo(ent2Digest)
                        .isNotEqualTo(ent1Digest);
                assertThat(box.output()).contains("event=guest_ready role=security", "event=guest_ready role=entertainment");

                // each bad guest is tried, refused, and the box falls back to v2; the reason reaches the server
                record Bad(String image, long imageVersion, String mode, long asVersion, String role, String reason) {
                }
                List<Bad> bad = List.of(
                        new Bad("entertainment", 2, "fail", 3, "entertainment", "guest reported FAIL"),
                        new Bad("entertainment", 2, "panic", 4, "entertainment", "QEMU exited before READY"),
                        new Bad("entertainment", 2, "hang", 5, "entertainment", "no READY within 20 s"),
                        // signed as v6, but the guest inside is v2 (it says so): not the version the box was told
                        new Bad("entertainment", 2, "crash", 6, "entertainment", "wrong guest"),
                        // signed for the entertainment role, but the guest inside is the security guest
                        new Bad("security", 2, "healthy", 7, "entertainment", "wrong guest"));
                List<String> reasons = new ArrayList<>();
                for (Bad b : bad) {
                    long image = upload(admin, b.image(), b.imageVersion(), b.mode(), b.role(), b.asVersion());
                    int before = events(admin, id, "BOOT_FAILED").size();
                    var rollout = admin.createRollout(image, 1_000_000, List.of(Map.of("share", 1.0,
                            "maxFailureShare", 0.5, "minFailures", 1)));
                    admin.startRollout(rollout.id());
                    try {
                        await().atMost(Duration.ofSeconds(120)).alias(b.mode() + " v" + b.asVersion())
                                .until(() -> events(admin, id, "BOOT_FAILED").size() > before);
                    } catch (org.awaitility.core.ConditionTimeoutException e) {
                        String[] lines = box.output().split("\n");
                        throw new AssertionError(b.mode() + " v" + b.asVersion() + " never failed its trial; rollout "
                                + admin.rollout(rollout.id()) + "; the box's last lines:\n" + String.join("\n",
                                java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 80), lines.length)), e);
                    }
                    String reason = events(admin, id, "BOOT_FAILED").get(0).get("detail").asString();
                    reasons.add(b.mode() + " v" + b.asVersion() + ": " + reason);
                    assertThat(reason).as("%s as v%d", b.mode(), b.asVersion()).contains(b.reason());
                    await().atMost(Duration.ofSeconds(60)).until(() -> !List.of("STAGING", "ACTIVATING")
                            .contains(admin.rollout(rollout.id()).state()));
                    assertThat(admin.rollout(rollout.id()).state()).isEqualTo("ROLLED_BACK");
                    await().atMost(Duration.ofSeconds(30)).until(() -> ent2Digest.equals(admin.getJson("/api/devices/"
                            + id).get("activeDigestByRole").get("entertainment").asString()));
                }
                System.out.println("qemu-box: " + String.join(" | ", reasons));

                // nothing done to the entertainment role touched the security guest: one boot, no report since
                assertThat(events(admin, id, null)).filteredOn(e -> e.get("role").asString().equals("security"))
                        .extracting(e -> e.get("type").asString()).containsOnly("STAGED", "ACTIVATED");
                assertThat(box.output().split("event=guest_ready role=security", -1)).hasSize(2);
                assertThat(box.stop()).as("a clean stop").isIn(0, 143);
                assertThat(box.output()).contains("event=agent_stopping");
            }
        }
    }

    private static long upload(OperatorApi admin, String name, long imageVersion, String mode, String role,
                               long version) throws Exception {
        byte[] bytes = Files.readAllBytes(GuestImages.image(name, imageVersion, mode));
        var image = admin.upload(bytes, role, version, 1, List.of(MODEL));
        admin.release(image.id());
        return image.id();
    }

    /** Rolls the image out to the whole fleet (this one box), waits for it to run committed, finalizes. */
    private static String rolloutAndWait(OperatorApi admin, long image, String deviceId, String role) throws Exception {
        var rollout = admin.createRollout(image, 1_000_000, List.of(Map.of("share", 1.0)));
        admin.startRollout(rollout.id());
        await().atMost(Duration.ofSeconds(120)).alias(role + " image " + image)
                .until(() -> admin.rollout(rollout.id()).state().equals("COMPLETED"));
        admin.finalizeRollout(rollout.id());
        return admin.getJson("/api/devices/" + deviceId).get("activeDigestByRole").get(role).asString();
    }

    private static String deviceId(OperatorApi admin) throws Exception {
        for (JsonNode d : admin.getJson("/api/devices")) {
            if (d.get("serial").asString().equals("QEMU-BOX-1")) {
                return d.get("id").asString();
            }
        }
        return null;
    }

    /** The box's reports of one type (all when null), newest first. */
    private static List<JsonNode> events(OperatorApi admin, String id, String type) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : admin.getJson("/api/devices/" + id + "/events?limit=500")) {
            if (type == null || e.get("type").asString().equals(type)) {
                out.add(e);
            }
        }
        return out;
    }
}
