package org.stbguest.agent;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.stbguest.device.api.CheckIn;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceApi;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.device.api.ImageOffer;
import org.stbguest.device.api.RoleDirective;
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

/**
 * A box's world for agent tests: release and director keys with the key set a box pins, signed test images, and a
 * scripted operator server on loopback (a real HTTP server answering check-ins with the desired state a test sets,
 * serving image ranges, recording reports and the status each check-in carried).
 */
public final class BoxLab implements AutoCloseable {

    public static final String ROLE = "entertainment";
    public static final String MODEL = "stb-x1";

    /** A signed test image. */
    public record Image(byte[] bytes, Manifest manifest, SignedManifest signed) {
        public Digest digest() {
            return manifest.rootDigest();
        }
    }

    public final SoftwareSigner root = SoftwareSigner.generate();
    public final SoftwareSigner release1 = SoftwareSigner.generate();
    public final SoftwareSigner release2 = SoftwareSigner.generate();
    public final SoftwareSigner director = SoftwareSigner.generate();
    public final SignedKeySet anchor = SignedKeySet.sign(new KeySet(1, Instant.now().plus(Duration.ofDays(365)),
            new RoleKeys(1, List.of(root.publicKey())),
            new RoleKeys(2, List.of(release1.publicKey(), release2.publicKey())),
            new RoleKeys(1, List.of(director.publicKey()))), root);
    public final HostileServer server;
    public final List<DeviceReport> reports = new CopyOnWriteArrayList<>();
    public final AtomicReference<CheckIn> lastCheckIn = new AtomicReference<>();
    public final Map<Digest, Image> images = new ConcurrentHashMap<>();
    /** Check-ins answered. */
    public final java.util.concurrent.atomic.AtomicInteger checkIns = new java.util.concurrent.atomic.AtomicInteger();
    private volatile DesiredState desired = new DesiredState(List.of(), List.of(), List.of(), 100);
    /** Milliseconds the image server pauses after each 64 KiB it sends (a slow link; 0 for none). */
    public volatile int linkPauseMs;
    final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    final ExecutorService workers = Executors.newFixedThreadPool(4);
    final io.netty.channel.EventLoopGroup loops = MulticastChannels.newEventLoopGroup(1);
    public final AgentRuntime runtime = new AgentRuntime(loops, scheduler, workers,
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(), java.time.InstantSource.system());

    public BoxLab() throws IOException {
        server = new HostileServer();
        server.answer(this::handle);
    }

    /** An image of {@code chunks} 4 KiB chunks (the last one shorter), known to the server. */
    public Image image(long version, long securityVersion, int chunks, long seed) throws IOException {
        byte[] bytes = new byte[chunks * Manifest.MIN_CHUNK_SIZE - 100];
        new SplittableRandom(seed).nextBytes(bytes);
        Manifest m = ImageChunker.chunk(new ByteArrayInputStream(bytes),
                new ImageChunker.ImageInfo(ROLE, version, securityVersion, Set.of(MODEL), Manifest.MIN_CHUNK_SIZE),
                bytes.length, (i, d, data, len) -> { });
        Image image = new Image(bytes, m, SignedManifest.sign(m, release1, release2));
        images.put(m.rootDigest(), image);
        return image;
    }

    public SignedStatement activate(long sequence, Image image) {
        return SignedStatement.sign(new SignedStatement.Envelope(sequence, Instant.now().plusSeconds(3600),
                new Statement.Activate(ROLE, image.digest())), director);
    }

    public SignedStatement finalizeAt(long sequence, long floor) {
        return SignedStatement.sign(new SignedStatement.Envelope(sequence, Instant.now().plusSeconds(3600),
                new Statement.Finalize(ROLE, floor)), director);
    }

    /** What the next check-ins are answered: these statements, and {@code stage} offered (by unicast) if not null. */
    public void want(Image stage, SignedStatement... statements) {
        desired = new DesiredState(List.of(), List.of(statements),
                stage == null ? List.of() : List.of(new RoleDirective(ROLE, new ImageOffer(stage.signed(), null))), 100);
    }

    /** The active image the last check-in reported for the role, if any. */
    public Digest reportedActive() {
        CheckIn c = lastCheckIn.get();
        return c == null ? null : c.roles().stream().filter(r -> r.role().equals(ROLE)).findFirst()
                .map(r -> r.activeDigest()).orElse(null);
    }

    /** The fleet enrolment secret the scripted server accepts, and the boxes it enrolled. */
    public static final String FLEET_SECRET = "fleet-secret-for-tests";
    public final List<org.stbguest.device.api.Enrollment> enrolments = new CopyOnWriteArrayList<>();
    /** When set, every request is answered 503 (the server is down for maintenance). */
    public volatile boolean down;

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (down) {
            ex.sendResponseHeaders(503, -1);
            return;
        }
        if (path.equals(DeviceApi.ENROLMENT)) {
            if (!("Bearer " + FLEET_SECRET).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.sendResponseHeaders(401, -1);
                return;
            }
            var req = DeviceApiJson.mapper().readTree(ex.getRequestBody().readAllBytes());
            var e = new org.stbguest.device.api.Enrollment(java.util.UUID.randomUUID(), req.get("serial").asString(),
                    req.get("hardwareModel").asString(), "stbd_" + java.util.UUID.randomUUID());
            enrolments.add(e);
            HostileServer.json(ex, 201, DeviceApiJson.mapper().writeValueAsBytes(e));
        } else if (path.equals(DeviceApi.CHECK_IN)) {
            checkIns.incrementAndGet();
            lastCheckIn.set(DeviceApiJson.mapper().readValue(ex.getRequestBody().readAllBytes(), CheckIn.class));
            HostileServer.json(ex, 200, DeviceApiJson.mapper().writeValueAsBytes(desired));
        } else if (path.equals(DeviceApi.REPORT_BATCH)) {
            reports.addAll(List.of(DeviceApiJson.mapper().readValue(ex.getRequestBody().readAllBytes(),
                    DeviceReport[].class)));
            HostileServer.json(ex, 202, new byte[0]);
        } else if (path.startsWith("/api/device/images/")) {
            Image image = images.get(Digest.parse(path.substring("/api/device/images/".length())));
            if (image == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String spec = ex.getRequestHeaders().getFirst("Range").substring("bytes=".length());
            int first = Integer.parseInt(spec.substring(0, spec.indexOf('-')));
            int last = Integer.parseInt(spec.substring(spec.indexOf('-') + 1));
            ex.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + image.bytes().length);
            ex.sendResponseHeaders(206, last - first + 1);
            int pause = linkPauseMs;
            for (int at = first; at <= last; at += 64 * 1024) { // a slow link: 64 KiB, then a pause
                ex.getResponseBody().write(image.bytes(), at, Math.min(64 * 1024, last + 1 - at));
                ex.getResponseBody().flush();
                if (pause > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(pause * 1_000_000L);
                }
            }
        } else {
            ex.sendResponseHeaders(404, -1);
        }
    }

    @Override
    public void close() {
        server.close();
        scheduler.shutdownNow();
        workers.shutdownNow();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
