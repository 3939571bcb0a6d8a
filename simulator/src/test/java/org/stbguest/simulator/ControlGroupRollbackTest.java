package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.agent.AgentConfig;
import org.stbguest.agent.AgentRuntime;
import org.stbguest.agent.StbAgent;
import org.stbguest.agent.hypervisor.SimulatedHypervisor;
import org.stbguest.agent.storage.DigestOnlySlotStorage;
import org.stbguest.image.Digest;
import org.stbguest.multicast.MulticastChannels;
import org.stbguest.multicast.MulticastSettings;
import org.stbguest.distributor.DistributorConfig;
import org.stbguest.distributor.DistributorService;

/**
 * The signed activation and the signed rollback go out on the multicast control group, and boxes act on them
 * without a round trip: agents that may check in at most every 30 s stage (the announcement brings a check-in
 * forward), switch to the new image and back to the old one within seconds, each from statements heard on the
 * control group. The rollout's view tracks the rollback's completion from the boxes' reports.
 */
class ControlGroupRollbackTest {

    private static final int BOXES = 6;

    @Test
    void activationAndRollbackReachBoxesOverMulticastWithoutACheckIn(@TempDir Path dir) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        var loops = MulticastChannels.newEventLoopGroup(1);
        var scheduler = Executors.newScheduledThreadPool(2);
        var workers = Executors.newFixedThreadPool(8);
        var runtime = new AgentRuntime(loops, scheduler, workers, http, java.time.InstantSource.system());
        List<StbAgent> agents = new ArrayList<>();
        // the server's log is kept under target/ so that it survives a failure
        Path log = Path.of("target", "control-group-rollback.log").toAbsolutePath();
        java.nio.file.Files.deleteIfExists(log);
        try (EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), log, Map.of("stb.rollout-tick", "200ms"))) {
            OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
            var distributorConfig = new DistributorConfig(server.uri, "distributor", server.distributorPassword,
                    MulticastSettings.LOOPBACK, DistributorConfig.DEFAULT_CONTROL_GROUP,
                    DistributorConfig.DEFAULT_CONTROL_PORT, dir.resolve("distributor"), Duration.ofMillis(200), 10_000,
                    Duration.ofSeconds(60));
            try (DistributorService distributor = new DistributorService(distributorConfig, http)) {
                distributor.start();
                byte[] v1 = TestFleet.image(1, 400_000);
                byte[] v2 = TestFleet.image(2, 400_000);
                var img1 = admin.upload(v1, DemoScenario.ROLE, 1, 1, List.of(DemoScenario.MODEL));
                var img2 = admin.upload(v2, DemoScenario.ROLE, 2, 1, List.of(DemoScenario.MODEL));
                admin.release(img1.id());
                admin.release(img2.id());
                Digest original = Digest.parse(img1.rootDigest());
                Digest updated = Digest.parse(img2.rootDigest());
                var trust = admin.keySets().get(0);
                var factory = admin.signedManifest(img1.id());
                for (int i = 0; i < BOXES; i++) {
                    var e = admin.enroll(String.format("CTRL-%03d", i), DemoScenario.MODEL);
                    var config = new AgentConfig(e.deviceId(), e.token(), server.uri, DemoScenario.MODEL,
                            List.of(DemoScenario.ROLE), trust, dir.resolve("agents").resolve(e.serial()),
                            MulticastSettings.LOOPBACK, DistributorConfig.DEFAULT_CONTROL_GROUP,
                            DistributorConfig.DEFAULT_CONTROL_PORT, Duration.ofSeconds(30), Duration.ofSeconds(20), 1,
                            AgentConfig.Limits.DEFAULTS.withCheckInBounds(Duration.ofSeconds(30), Duration.ofMinutes(5)));
                    StbAgent agent = StbAgent.create(config, runtime, new SimulatedHypervisor(),
                            r -> new DigestOnlySlotStorage());
                    agent.provisionFactoryImage(DemoScenario.ROLE, factory, v1);
                    agent.start();
                    agents.add(agent);
                }
                var rollout = admin.createRollout(img2.id(), 1000);
                long t0 = System.nanoTime();
                admin.startRollout(rollout.id());
                await().atMost(Duration.ofSeconds(25)).until(() -> TestFleet.running(agents, updated) == BOXES);
                admin.rollBack(rollout.id());
                await().atMost(Duration.ofSeconds(25)).until(() -> TestFleet.running(agents, original) == BOXES);
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                assertThat(took).as("well within the boxes' 30 s check-in interval").isLessThan(Duration.ofSeconds(27));
                for (StbAgent a : agents) {
                    assertThat(a.controlGroupActivations()).as("activation and rollback heard on the control group")
                            .isGreaterThanOrEqualTo(2);
                }
                assertThat(distributor.statementsSent()).isPositive();
                await().atMost(Duration.ofSeconds(10)).until(() -> admin.rollout(rollout.id()).backOnPrevious() == BOXES);
                assertThat(admin.rollout(rollout.id()).everActivated()).isEqualTo(BOXES);
            }
        } finally {
            agents.forEach(StbAgent::close);
            scheduler.shutdownNow();
            workers.shutdownNow();
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
