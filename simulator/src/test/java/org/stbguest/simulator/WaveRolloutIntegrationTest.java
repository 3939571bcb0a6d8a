package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.agent.AgentConfig;
import org.stbguest.agent.AgentRuntime;
import org.stbguest.agent.StbAgent;
import org.stbguest.agent.hypervisor.SimulatedHypervisor;
import org.stbguest.agent.storage.DigestOnlySlotStorage;
import org.stbguest.device.api.Enrollment;
import org.stbguest.image.Digest;
import org.stbguest.image.trust.Statement;
import org.stbguest.multicast.MulticastChannels;
import org.stbguest.multicast.MulticastSettings;

/**
 * A rollout in waves over real HTTP on the embedded PostgreSQL with twenty real agents: the first wave holds exactly
 * the boxes first in the rollout's stable hash order (and, while it soaks, no other box runs the image); later waves
 * advance by hand and on success to completion; an image whose trial boots fail halts its rollout in its first wave
 * and rolls it back.
 */
class WaveRolloutIntegrationTest {

    private static final int BOXES = 20;

    @Test
    void wavesAdvanceOnSuccessAndABootFailureThresholdHaltsTheRollout(@TempDir Path dir) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        var loops = MulticastChannels.newEventLoopGroup(1);
        var scheduler = Executors.newScheduledThreadPool(2);
        var workers = Executors.newFixedThreadPool(8);
        var runtime = new AgentRuntime(loops, scheduler, workers, http, java.time.InstantSource.system());
        var hypervisor = new SimulatedHypervisor();
        List<StbAgent> agents = new ArrayList<>();
        try (EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), dir.resolve("server.log"),
                Map.of("stb.rollout-tick", "200ms"))) {
            OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            byte[][] images = {TestFleet.image(1, 300_000), TestFleet.image(2, 300_000), TestFleet.image(3, 300_000)};
            List<OperatorApi.Image> uploaded = new ArrayList<>();
            for (int v = 0; v < 3; v++) {
                uploaded.add(admin.upload(images[v], DemoScenario.ROLE, v + 1, 1, List.of(DemoScenario.MODEL)));
                admin.release(uploaded.get(v).id());
            }
            Digest v1 = Digest.parse(uploaded.get(0).rootDigest());
            Digest v2 = Digest.parse(uploaded.get(1).rootDigest());
            Digest v3 = Digest.parse(uploaded.get(2).rootDigest());
            hypervisor.failing(v3, "guest panicked");
            var trust = admin.keySets().get(0);
            var factory = admin.signedManifest(uploaded.get(0).id());
            List<UUID> ids = new ArrayList<>();
            for (int i = 0; i < BOXES; i++) {
                Enrollment e = admin.enroll(String.format("WAVE-%03d", i), DemoScenario.MODEL);
                var config = new AgentConfig(e.deviceId(), e.token(), server.uri, DemoScenario.MODEL,
                        List.of(DemoScenario.ROLE), trust, dir.resolve("agents").resolve(e.serial()),
                        MulticastSettings.LOOPBACK, null, 0, Duration.ofMillis(300), Duration.ofSeconds(1), 1,
                        AgentConfig.Limits.DEFAULTS.withCheckInBounds(Duration.ofMillis(100), Duration.ofSeconds(5)));
                StbAgent agent = StbAgent.create(config, runtime, hypervisor, r -> new DigestOnlySlotStorage());
                agent.provisionFactoryImage(DemoScenario.ROLE, factory, images[0]);
                agent.start();
                agents.add(agent);
                ids.add(e.deviceId());
            }

            // waves: the first two boxes, soaking an hour; then half; then all
            var rollout = admin.createRollout(uploaded.get(1).id(), 1000, List.of(
                    Map.of("count", 2, "minSoak", "PT1H"), Map.of("share", 0.5), Map.of("share", 1.0)));
            admin.startRollout(rollout.id());
            await().atMost(Duration.ofSeconds(60)).until(() -> admin.rollout(rollout.id()).wave() == 1
                    && TestFleet.running(agents, v2) == 2);
            List<Integer> first = IntStream.range(0, BOXES).boxed()
                    .sorted(Comparator.comparingLong(i -> Statement.Cohort.rank(rollout.id(), ids.get(i))))
                    .limit(2).toList();
            for (int i = 0; i < BOXES; i++) {
                boolean onV2 = DemoScenario.runsCommitted(agents.get(i).slotPair(DemoScenario.ROLE), v2);
                assertThat(onV2).as("box %d is in wave 1 exactly when it is first in the hash order", i)
                        .isEqualTo(first.contains(i));
            }
            assertThat(admin.rollout(rollout.id()).waveBoxes()).isEqualTo(2);

            admin.advanceRollout(rollout.id());
            await().atMost(Duration.ofSeconds(60)).until(() -> "COMPLETED".equals(admin.rollout(rollout.id()).state()));
            await().atMost(Duration.ofSeconds(30)).until(() -> TestFleet.running(agents, v2) == BOXES);

            admin.finalizeRollout(rollout.id());

            // v3 panics on boot: its first wave of five falls back, and the rollout halts and rolls back
            var bad = admin.createRollout(uploaded.get(2).id(), 1000, List.of(
                    Map.of("count", 5, "minFailures", 3, "maxFailureShare", 0.5), Map.of("share", 1.0)));
            admin.startRollout(bad.id());
            await().atMost(Duration.ofSeconds(60)).until(() -> "ROLLED_BACK".equals(admin.rollout(bad.id()).state()));
            assertThat(admin.rollout(bad.id()).endReason()).contains("failed to boot the image on trial");
            assertThat(admin.rollout(bad.id()).wave()).as("halted in its first wave").isEqualTo(1);
            await().atMost(Duration.ofSeconds(30)).until(() -> TestFleet.running(agents, v2) == BOXES);
            assertThat(TestFleet.running(agents, v3)).isZero();
            assertThat(TestFleet.running(agents, v1)).isZero();
        } finally {
            agents.forEach(StbAgent::close);
            scheduler.shutdownNow();
            workers.shutdownNow();
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
