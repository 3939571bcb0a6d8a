package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.agent.ServerClient;
import org.stbguest.device.api.Enrollment;
import org.stbguest.image.Manifest;

/**
 * The agent's unicast repair against the real operator server (embedded PostgreSQL, real HTTP): the chunks a box
 * missed come by HTTP range requests on the image, a run of consecutive chunks per request, each verified against
 * the signed manifest before it is written.
 */
class UnicastRepairIntegrationTest {

    @Test
    void missingChunksComeByRangeRequestsAndMatchTheImage(@TempDir Path dir) throws Exception {
        // 41 chunks of 256 KiB and a short last one: a run of 40 chunks (10 MiB) is longer than one request's 8 MiB
        int chunk = 256 * 1024;
        byte[] image = new byte[41 * chunk + 1234];
        new SplittableRandom(7).nextBytes(image);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), dir.resolve("server.log"), Map.of())) {
            OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            var uploaded = admin.upload(image, DemoScenario.ROLE, 1, 1, List.of(DemoScenario.MODEL));
            Manifest manifest = admin.signedManifest(uploaded.id()).unverifiedManifest();
            Enrollment box = admin.enroll("REPAIR-1", DemoScenario.MODEL);
            var client = new ServerClient(http, server.uri, box.token(), org.stbguest.agent.AgentConfig.Limits.DEFAULTS);
            BitSet missing = new BitSet();
            missing.set(0);
            missing.set(2, 42); // chunks 2..41: forty in a row, the last one short
            var received = new TreeMap<Integer, byte[]>();

            assertThatThrownBy(() -> client.fetchMissingChunks(manifest, missing, received::put, () -> false))
                    .as("an image not yet released is not served to boxes")
                    .isInstanceOf(ServerClient.ServerException.class);
            assertThat(received).isEmpty();

            admin.release(uploaded.id());
            int fetched = client.fetchMissingChunks(manifest, missing, received::put, () -> false);

            assertThat(fetched).isEqualTo(41);
            assertThat(received.keySet()).containsExactlyElementsOf(missing.stream().boxed().toList());
            received.forEach((c, data) -> assertThat(data).as("chunk %d", c).isEqualTo(Arrays.copyOfRange(image,
                    c * chunk, (int) Math.min(image.length, (long) (c + 1) * chunk))));

            var other = new ServerClient(http, server.uri, box.token() + "x", org.stbguest.agent.AgentConfig.Limits.DEFAULTS);
            assertThatThrownBy(() -> other.fetchMissingChunks(manifest, missing, (c, d) -> { }, () -> false))
                    .as("a bad device token gets nothing")
                    .isInstanceOfSatisfying(ServerClient.ServerException.class,
                            e -> assertThat(e.status()).isEqualTo(401));
        }
    }
}
