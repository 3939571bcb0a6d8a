package org.stbguest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.agent.hypervisor.SimulatedHypervisor;
import org.stbguest.agent.storage.DigestOnlySlotStorage;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceApi;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.device.api.ImageOffer;
import org.stbguest.device.api.ReportType;
import org.stbguest.device.api.RoleDirective;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageChunker;
import org.stbguest.image.Manifest;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.SoftwareSigner;
import org.stbguest.image.trust.KeySet;
import org.stbguest.image.trust.RoleKeys;
import org.stbguest.image.trust.SignedKeySet;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.Statement;
import org.stbguest.multicast.MulticastChannels;
import org.stbguest.multicast.MulticastSettings;

/**
 * A whole agent against a hostile server on loopback: nothing unsigned it is told can stop it checking in, make it
 * check in too often or never again, or make it skip a genuine image.
 */
class StbAgentHostileTest {

    private static final String ROLE = "entertainment";
    private static final String MODEL = "stb-x1";

    private final SoftwareSigner root = SoftwareSigner.generate();
    private final SoftwareSigner release1 = SoftwareSigner.generate();
    private final SoftwareSigner release2 = SoftwareSigner.generate();
    private final SoftwareSigner director = SoftwareSigner.generate();
    private final SignedKeySet anchor = SignedKeySet.sign(new KeySet(1, Instant.now().plus(Duration.ofDays(365)),
            new RoleKeys(1, List.of(root.publicKey())),
            new RoleKeys(2, List.of(release1.publicKey(), release2.publicKey())),
            new RoleKeys(1, List.of(director.publicKey()))), root);

    private final HostileServer server = HostileServer.start();
    private final List<Long> checkIns = new CopyOnWriteArrayList<>();
    private final List<DeviceReport> reports = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService workers = Executors.newFixedThreadPool(4);
    private final io.netty.channel.EventLoopGroup loops = MulticastChannels.newEventLoopGroup(1);
    private final AgentRuntime runtime = new AgentRuntime(loops, scheduler, workers,
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(), java.time.InstantSource.system());
    private StbAgent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        server.close();
        scheduler.shutdownNow();
        workers.shutdownNow();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private StbAgent agent(Path dir, AgentConfig.Limits limits) throws Exception {
        return agent(dir, limits, Duration.ofSeconds(5));
    }

    private StbAgent agent(Path dir, AgentConfig.Limits limits, Duration stageTimeout) throws Exception {
        AgentConfig config = new AgentConfig(UUID.randomUUID(), "stbd_test", server.uri(), MODEL, List.of(ROLE), anchor,
                dir, MulticastSettings.LOOPBACK, null, 0, Duration.ofMillis(300), stageTimeout, 1, limits);
        agent = StbAgent.create(config, runtime, new SimulatedHypervisor(), r -> new DigestOnlySlotStorage());
        return agent;
    }

    private static AgentConfig.Limits limits(Duration min, Duration max) {
        return ServerClientBoundsTest.LIMITS.withCheckInBounds(min, max);
    }

    /** Routes the device API: check-ins answered by {@code answer} (by count), reports recorded. */
    private void route(Function<Integer, byte[]> answer, byte[] image) {
        server.answer(ex -> {
            String path = ex.getRequestURI().getPath();
            if (path.equals(DeviceApi.CHECK_IN)) {
                checkIns.add(System.nanoTime());
                byte[] body = answer.apply(checkIns.size());
                if (body == null) {
                    server.stream(ex, 200, -1); // endless
                } else {
                    HostileServer.json(ex, 200, body);
                }
            } else if (path.equals(DeviceApi.REPORTS)) {
                reports.add(DeviceApiJson.mapper().readValue(ex.getRequestBody().readAllBytes(), DeviceReport.class));
                HostileServer.json(ex, 202, new byte[0]);
            } else if (path.equals(DeviceApi.REPORT_BATCH)) {
                reports.addAll(List.of(DeviceApiJson.mapper().readValue(ex.getRequestBody().readAllBytes(),
                        DeviceReport[].class)));
                HostileServer.json(ex, 202, new byte[0]);
            } else if (path.startsWith("/api/device/images/") && image != null) {
                range(ex, image);
            } else {
                ex.sendResponseHeaders(404, -1);
            }
        });
    }

    private static void range(HttpExchange ex, byte[] image) throws IOException {
        String spec = ex.getRequestHeaders().getFirst("Range").substring("bytes=".length());
        int first = Integer.parseInt(spec.substring(0, spec.indexOf('-')));
        int last = Integer.parseInt(spec.substring(spec.indexOf('-') + 1));
        ex.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + image.length);
        ex.sendResponseHeaders(206, last - first + 1);
        ex.getResponseBody().write(image, first, last - first + 1);
    }

    private static byte[] randomImage(int size, long seed) {
        byte[] image = new byte[size];
        new SplittableRandom(seed).nextBytes(image);
        return image;
    }

    private static Manifest manifestOf(byte[] image) throws IOException {
        return ImageChunker.chunk(new java.io.ByteArrayInputStream(image),
                new ImageChunker.ImageInfo(ROLE, 2, 1, Set.of(MODEL), Manifest.MIN_CHUNK_SIZE), image.length,
                (i, d, data, len) -> { });
    }

    private static byte[] desired(long intervalMillis, RoleDirective... roles) {
        return DeviceApiJson.mapper().writeValueAsBytes(new DesiredState(List.of(), List.of(), List.of(roles),
                intervalMillis));
    }

    @Test
    void aServerAskingForCheckInsEveryMillisecondGetsThemNoMoreOftenThanTheFloor(@TempDir Path dir) throws Exception {
        route(n -> desired(1), null);
        agent(dir, limits(Duration.ofMillis(400), Duration.ofSeconds(5))).start();
        await().atMost(Duration.ofSeconds(10)).until(() -> checkIns.size() >= 4);
        for (int i = 1; i < checkIns.size(); i++) {
            long gap = checkIns.get(i) - checkIns.get(i - 1);
            assertThat(Duration.ofNanos(gap)).as("gap %d", i).isGreaterThan(Duration.ofMillis(400 * 9 / 10 - 20));
        }
    }

    @Test
    void aServerAskingForCheckInsOnceADecadeCannotFreezeTheBox(@TempDir Path dir) throws Exception {
        route(n -> desired(TimeUnit.DAYS.toMillis(3650)), null);
        agent(dir, limits(Duration.ofMillis(100), Duration.ofMillis(800))).start();
        await().atMost(Duration.ofSeconds(5)).until(() -> checkIns.size() >= 3);
    }

    @Test
    void theClampedIntervalIsSpreadByTheJitter(@TempDir Path dir) throws Exception {
        StbAgent a = agent(dir, limits(Duration.ofSeconds(10), Duration.ofHours(24)));
        var seen = new java.util.TreeSet<Long>();
        for (int i = 0; i < 200; i++) {
            long next = a.nextInterval(Long.MAX_VALUE / 2);
            assertThat(next).isBetween(Duration.ofHours(24).toMillis() * 9 / 10, Duration.ofHours(24).toMillis() * 11 / 10);
            seen.add(next);
            assertThat(a.nextInterval(1)).isBetween(9_000L, 11_000L);
        }
        assertThat(seen.size()).as("spread, not one fixed instant for the whole fleet").isGreaterThan(100);
    }

    @Test
    void aSignedAnnouncementChecksInAtOnceThoughTheNextCheckInIsAnHourAway(@TempDir Path dir) throws Exception {
        route(n -> desired(TimeUnit.HOURS.toMillis(1)), null);
        StbAgent a = agent(dir, limits(Duration.ofSeconds(10), Duration.ofHours(24)));
        a.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> checkIns.size() == 1);
        var announce = SignedStatement.sign(new SignedStatement.Envelope(1, Instant.now().plusSeconds(600),
                new Statement.Announce(7, Digest.sha256(new byte[] {1}), "239.255.42.2", 42001, 100, 1400)), director);
        a.onAnnouncement(announce);
        await().atMost(Duration.ofSeconds(5)).until(() -> checkIns.size() == 2);
        // a forged one does nothing
        var forged = SignedStatement.sign(new SignedStatement.Envelope(2, Instant.now().plusSeconds(600),
                new Statement.Announce(8, Digest.sha256(new byte[] {1}), "239.255.42.2", 42001, 100, 1400)),
                SoftwareSigner.generate());
        a.onAnnouncement(forged);
        assertThat(a.refusedAnnouncements()).isEqualTo(1);
        assertThat(checkIns).hasSize(2);
    }

    @Test
    void anEndlessCheckInAnswerDoesNotStopTheBoxCheckingIn(@TempDir Path dir) throws Exception {
        route(n -> n <= 2 ? null : desired(200), null);
        agent(dir, limits(Duration.ofMillis(100), Duration.ofSeconds(2))).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> checkIns.size() >= 4);
        assertThat(server.hungUp).as("the box hung up on the endless answers").isTrue();
    }

    @Test
    void aForgedOfferDoesNotShadowTheGenuineImageWithTheSameClaimedDigest(@TempDir Path dir) throws Exception {
        byte[] image = randomImage(3 * Manifest.MIN_CHUNK_SIZE + 17, 5);
        Manifest m = manifestOf(image);
        SignedManifest forged = SignedManifest.sign(m, release1);           // one signature; two are required
        SignedManifest genuine = SignedManifest.sign(m, release1, release2);
        route(n -> desired(200, new RoleDirective(ROLE, new ImageOffer(n <= 2 ? forged : genuine, null))), image);
        agent(dir, limits(Duration.ofMillis(100), Duration.ofSeconds(2))).start();

        await().atMost(Duration.ofSeconds(20)).until(() -> reports.stream()
                .anyMatch(r -> r.type() == ReportType.STAGED && m.rootDigest().equals(r.digest())));
        assertThat(reports).filteredOn(r -> r.type() == ReportType.STAGE_FAILED)
                .as("the forged offer was refused once, not again at every check-in").hasSize(1)
                .first().satisfies(r -> assertThat(r.detail()).contains("INSUFFICIENT_SIGNATURES"));
        assertThat(agent.slotPair(ROLE).slot(Slot.A).digest()).isEqualTo(m.rootDigest());
    }

    @Test
    void aTransmissionNeedingAHugeDecoderOrNoMulticastGroupIsIgnoredForUnicast(@TempDir Path dir) throws Exception {
        byte[] image = randomImage(2 * Manifest.MIN_CHUNK_SIZE + 5, 6);
        Manifest m = manifestOf(image);
        SignedManifest genuine = SignedManifest.sign(m, release1, release2);
        // 65,000-byte symbols in blocks of 32,768: a 2 GiB decoder store, on an unsigned say-so
        var huge = new org.stbguest.device.api.TransmissionInfo(1, "239.255.42.2", 42999, 65000, 32768);
        route(n -> desired(200, new RoleDirective(ROLE, new ImageOffer(genuine, huge))), image);
        long t0 = System.nanoTime();
        agent(dir, limits(Duration.ofMillis(100), Duration.ofSeconds(2)), Duration.ofSeconds(60)).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> reports.stream()
                .anyMatch(r -> r.type() == ReportType.STAGED && m.rootDigest().equals(r.digest())));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("by unicast at once, not after the 60 s stage timeout")
                .isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void aTransmissionThatCannotBeJoinedFallsBackToUnicastInsteadOfFailingEveryCheckIn(@TempDir Path dir)
            throws Exception {
        byte[] image = randomImage(2 * Manifest.MIN_CHUNK_SIZE + 9, 8);
        Manifest m = manifestOf(image);
        SignedManifest genuine = SignedManifest.sign(m, release1, release2);
        var unicastGroup = new org.stbguest.device.api.TransmissionInfo(1, "127.0.0.1", 42998, 1400, 64);
        route(n -> desired(200, new RoleDirective(ROLE, new ImageOffer(genuine, unicastGroup))), image);
        agent(dir, limits(Duration.ofMillis(100), Duration.ofSeconds(2)), Duration.ofSeconds(60)).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> reports.stream()
                .anyMatch(r -> r.type() == ReportType.STAGED && m.rootDigest().equals(r.digest())));
        assertThat(reports).noneMatch(r -> r.type() == ReportType.STAGE_FAILED);
    }

    /** How the server answers the n-th request for the image (from 1); {@code routed} answers as {@link #route}. */
    private interface ImageAnswer {
        void handle(int n, HttpExchange ex, HostileServer.Behaviour routed) throws IOException, InterruptedException;
    }

    /** Offers {@code offered} at every check-in, as {@link #route} does, and answers image requests by {@code answer}. */
    private java.util.concurrent.atomic.AtomicInteger offerWithImageAnswers(SignedManifest offered, byte[] image,
                                                                           ImageAnswer answer) {
        route(n -> desired(200, new RoleDirective(ROLE, new ImageOffer(offered, null))), image);
        var requests = new java.util.concurrent.atomic.AtomicInteger();
        var routed = server.behaviour();
        server.answer(ex -> {
            if (ex.getRequestURI().getPath().startsWith("/api/device/images/")) {
                answer.handle(requests.incrementAndGet(), ex, routed);
            } else {
                routed.handle(ex);
            }
        });
        return requests;
    }

    @Test
    void aServerAwayWhileTheBoxFetchesTheImageIsNoInstallFailure(@TempDir Path dir) throws Exception {
        // a database restart (503), a server being deployed (a dropped connection), a proxy's 502, a busy 429: the
        // rollout's install-failure threshold must not count them against the image; the box resumes at a check-in
        byte[] image = randomImage(3 * Manifest.MIN_CHUNK_SIZE + 21, 12);
        Manifest m = manifestOf(image);
        SignedManifest genuine = SignedManifest.sign(m, release1, release2);
        var ranges = offerWithImageAnswers(genuine, image, (n, ex, routed) -> {
            switch (n) {
                case 1 -> {
                    ex.getResponseHeaders().set("Retry-After", "5");
                    HostileServer.json(ex, 503, "{\"code\":\"database-unavailable\"}".getBytes());
                }
                // no answer at all, the connection dropped: twice, since the HTTP client sends a GET again once
                case 2, 3 -> ex.getRequestBody().close();
                case 4 -> HostileServer.json(ex, 502, new byte[0]);
                case 5 -> HostileServer.json(ex, 429, new byte[0]);
                default -> routed.handle(ex);
            }
        });
        agent(dir, limits(Duration.ofMillis(100), Duration.ofSeconds(2))).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> reports.stream()
                .anyMatch(r -> r.type() == ReportType.STAGED && m.rootDigest().equals(r.digest())));
        assertThat(ranges.get()).as("the box came back after each outage").isGreaterThanOrEqualTo(6);
        assertThat(reports).as("no outage was reported as a failed staging")
                .noneMatch(r -> r.type() == ReportType.STAGE_FAILED);
        assertThat(agent.slotPair(ROLE).slot(Slot.A).digest()).isEqualTo(m.rootDigest());
    }

    @Test
    void anImageTheServerDeniesOrAnswersWithTheWrongBytesIsAFailedStaging(@TempDir Path dir) throws Exception {
        byte[] image = randomImage(2 * Manifest.MIN_CHUNK_SIZE + 13, 13);
        Manifest m = manifestOf(image);
        SignedManifest genuine = SignedManifest.sign(m, release1, release2);
        offerWithImageAnswers(genuine, image, (n, ex, routed) -> {
            if (n == 1) {
                HostileServer.json(ex, 404, "{\"code\":\"image-not-found\"}".getBytes());
            } else { // the whole image where a range was asked for: a proxy that ignores ranges
                ex.sendResponseHeaders(200, image.length);
                ex.getResponseBody().write(image);
            }
        });
        agent(dir, limits(Duration.ofMillis(100), Duration.ofSeconds(2))).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> reports.stream()
                .filter(r -> r.type() == ReportType.STAGE_FAILED).count() >= 2);
        List<DeviceReport> failed = reports.stream().filter(r -> r.type() == ReportType.STAGE_FAILED).toList();
        assertThat(failed.get(0).detail()).contains("404");
        assertThat(failed.get(1).detail()).contains("not that range");
        assertThat(reports).noneMatch(r -> r.type() == ReportType.STAGED);
    }

    @Test
    void anActivationForAWaveTheBoxIsNotInLeavesItOnItsImage(@TempDir Path dir) throws Exception {
        byte[] image = randomImage(2 * Manifest.MIN_CHUNK_SIZE + 3, 11);
        Manifest m = manifestOf(image);
        SignedManifest genuine = SignedManifest.sign(m, release1, release2);
        StbAgent a = agent(dir, limits(Duration.ofMillis(100), Duration.ofSeconds(1)));
        long rank = Statement.Cohort.rank(99, a.config().deviceId());
        var notMine = SignedStatement.sign(new SignedStatement.Envelope(1, Instant.now().plusSeconds(600),
                new Statement.Activate(ROLE, m.rootDigest(), new Statement.Cohort(99, rank))), director);
        var mine = SignedStatement.sign(new SignedStatement.Envelope(2, Instant.now().plusSeconds(600),
                new Statement.Activate(ROLE, m.rootDigest(), new Statement.Cohort(99, rank + 1))), director);
        var current = new java.util.concurrent.atomic.AtomicReference<>(notMine);
        route(n -> DeviceApiJson.mapper().writeValueAsBytes(new DesiredState(List.of(), List.of(current.get()),
                List.of(new RoleDirective(ROLE, new ImageOffer(genuine, null))), 200)), image);
        a.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> reports.stream().anyMatch(r -> r.type() == ReportType.STAGED));
        int seen = checkIns.size();
        await().atMost(Duration.ofSeconds(20)).until(() -> checkIns.size() >= seen + 3);
        assertThat(a.slotPair(ROLE).active()).as("the wave's statement is not for this box").isEmpty();

        current.set(mine);
        await().atMost(Duration.ofSeconds(20)).until(() -> a.slotPair(ROLE).activeDigest()
                .filter(m.rootDigest()::equals).isPresent());
        // the report goes out on a worker after the slot state changed
        await().atMost(Duration.ofSeconds(10)).until(() -> reports.stream()
                .anyMatch(r -> r.type() == ReportType.ACTIVATED));
    }

    @Test
    void aForgedActivationHeardOnTheControlGroupSwitchesNothing(@TempDir Path dir) throws Exception {
        byte[] image = randomImage(2 * Manifest.MIN_CHUNK_SIZE + 7, 13);
        Manifest m = manifestOf(image);
        route(n -> desired(200, new RoleDirective(ROLE, new ImageOffer(SignedManifest.sign(m, release1, release2),
                null))), image);
        StbAgent a = agent(dir, limits(Duration.ofMillis(100), Duration.ofSeconds(1)));
        a.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> reports.stream().anyMatch(r -> r.type() == ReportType.STAGED));
        var forged = SignedStatement.sign(new SignedStatement.Envelope(5, Instant.now().plusSeconds(600),
                new Statement.Activate(ROLE, m.rootDigest())), SoftwareSigner.generate());
        a.onAnnouncement(forged);
        assertThat(a.refusedAnnouncements()).isEqualTo(1);
        assertThat(a.controlGroupActivations()).isZero();
        assertThat(a.slotPair(ROLE).active()).as("a forged activation switches nothing").isEmpty();
        var genuine = SignedStatement.sign(new SignedStatement.Envelope(5, Instant.now().plusSeconds(600),
                new Statement.Activate(ROLE, m.rootDigest())), director);
        a.onAnnouncement(genuine);
        assertThat(a.controlGroupActivations()).isEqualTo(1);
        assertThat(a.slotPair(ROLE).activeDigest()).contains(m.rootDigest());
    }
}
