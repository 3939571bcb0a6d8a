package org.stbguest.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.agent.disk.Disk;
import org.stbguest.agent.disk.StateFile;
import org.stbguest.agent.hypervisor.Hypervisor;
import org.stbguest.agent.slot.BootControlStore;
import org.stbguest.agent.slot.SlotPair;
import org.stbguest.agent.storage.SlotStorage;
import org.stbguest.device.api.CheckIn;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.device.api.ReportType;
import org.stbguest.device.api.RoleDirective;
import org.stbguest.device.api.RoleStatus;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.trust.KeySet;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.multicast.AnnouncementListener;

/**
 * The set-top box agent: boots each role's guest at start, checks in with the operator server ({@link CheckInLoop}),
 * accepts signed metadata ({@link SignedMetadata}), moves each guest role towards its desired state ({@link RoleAgent}:
 * {@link ImageStager}, {@link TrialBoot}) and tells the server what happened ({@link ReportOutbox}). One instance per
 * box; the simulator runs many on a shared {@link AgentRuntime}. All its state lives under {@code config.stateDir()},
 * written through a {@link Disk}.
 */
public final class StbAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StbAgent.class);

    private final AgentConfig config;
    private final AgentRuntime runtime;
    private final ServerClient client;
    private final Hypervisor hypervisor;
    private final Map<String, RoleAgent> roles = new LinkedHashMap<>();
    private final SignedMetadata metadata;
    private final ReportOutbox outbox;
    private final CheckInLoop loop;
    private final AtomicLong refusedAnnouncements = new AtomicLong();
    private final AtomicLong controlGroupActivations = new AtomicLong();
    private volatile boolean closed;
    private volatile AnnouncementListener listener;
    private long failures;

    private StbAgent(AgentConfig config, AgentRuntime runtime, Hypervisor hypervisor,
                     Function<String, SlotStorage> storageForRole, Disk disk) throws IOException {
        this.config = config;
        this.runtime = runtime;
        this.hypervisor = hypervisor;
        this.client = new ServerClient(runtime.http(), config.server(), config.token(), config.limits());
        this.loop = new CheckInLoop(config, runtime, this::checkInOnce);
        this.metadata = new SignedMetadata(config, runtime, disk, new SignedMetadata.Actions() {
            @Override
            public void finalizeRole(String role, long floor) throws IOException {
                roles.get(role).requestFloor(floor);
            }

            @Override
            public void checkInSoon() {
                loop.soon();
            }

            @Override
            public void refused(String what, ImageVerificationException e) {
                refuse(what, e);
            }
        });
        disk.createDirectories(config.stateDir());
        this.outbox = new ReportOutbox(client, runtime, new StateFile(disk, config.stateDir(), "outbox"),
                config.deviceId().toString(), config.limits().minCheckIn().toMillis(),
                Math.max(config.limits().minCheckIn().toMillis(), 300_000));
        BootControlStore store = new BootControlStore(disk, config.stateDir());
        for (String role : config.roles()) {
            roles.put(role, new RoleAgent(role, config, runtime, client, hypervisor, storageForRole.apply(role), store,
                    metadata.trust(), this::report));
        }
        hypervisor.onCrash(this::guestCrashed);
    }

    /** Creates an agent on the machine's disk; its state is loaded from {@code config.stateDir()} if present. */
    public static StbAgent create(AgentConfig config, AgentRuntime runtime, Hypervisor hypervisor,
                                  Function<String, SlotStorage> storageForRole) throws IOException {
        return new StbAgent(config, runtime, hypervisor, storageForRole, Disk.local());
    }

    /** Creates an agent whose state is written through {@code disk} (the crash tests cut its power). */
    public static StbAgent create(AgentConfig config, AgentRuntime runtime, Hypervisor hypervisor,
                                  Function<String, SlotStorage> storageForRole, Disk disk) throws IOException {
        return new StbAgent(config, runtime, hypervisor, storageForRole, disk);
    }

    /**
     * Writes a factory image into slot A as the running, committed image, after checking it against the pinned
     * release keys. Done once, at manufacturing.
     */
    public void provisionFactoryImage(String role, SignedManifest signed, byte[] image) throws IOException {
        roleAgent(role).provisionFactoryImage(signed, image);
    }

    /** The key set this box trusts now. */
    public KeySet keySet() {
        return metadata.keySet();
    }

    /** Starts checking in (at once) and, if configured, listening for announcements; guests are not booted. */
    public void start() throws InterruptedException, IOException {
        if (config.controlGroup() != null) {
            listener = AnnouncementListener.start(runtime.eventLoops(), config.multicast(),
                    InetAddress.getByName(config.controlGroup()), config.controlPort(),
                    a -> runtime.workers().execute(() -> onAnnouncement(a.statement())));
        }
        outbox.flushSoon();
        loop.soon();
    }

    /**
     * Boots every role's guest as the box's bootloader would (resuming a trial boot a restart interrupted), then
     * starts: what a box does when it powers on.
     */
    public void bootAndStart() throws InterruptedException, IOException {
        for (RoleAgent r : roles.values()) {
            r.bootAtStart();
        }
        start();
    }

    /**
     * A signed announcement heard on the control group: checked like any director statement (forged, expired and
     * replayed ones are ignored and counted). A wave's or a rollback's activation is acted on at once, without a
     * round trip to the server; anything else new is answered with an immediate check-in.
     */
    void onAnnouncement(SignedStatement statement) {
        try {
            var activation = metadata.applyAnnouncement(statement);
            if (activation.isPresent()) {
                controlGroupActivations.incrementAndGet();
                String role = activation.get().role();
                roles.get(role).apply(null, metadata.desiredImage(role));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ImageVerificationException e) {
            refusedAnnouncements.incrementAndGet();
            log.debug("event=announcement_ignored device={} reason={}", config.deviceId(), e.reason());
        } catch (IOException e) {
            log.warn("event=announcement_failed device={} error={}", config.deviceId(), e.toString());
        }
    }

    /** Activations heard on the control group and acted on without a check-in. */
    public long controlGroupActivations() {
        return controlGroupActivations.get();
    }

    /** Announcements heard on the control group and ignored as forged, expired, replayed or malformed. */
    public long refusedAnnouncements() {
        return refusedAnnouncements.get();
    }

    /** Reports saved but not yet acknowledged by the server. */
    public List<DeviceReport> pendingReports() {
        return outbox.pending();
    }

    /**
     * Asks for a check-in as soon as possible, even when the next one is scheduled far off; requests made while one
     * is due or running are merged.
     */
    public void checkInSoon() {
        loop.soon();
    }

    /** A copy of one role's slot pair, for status and tests. */
    public SlotPair slotPair(String role) {
        return roleAgent(role).pair();
    }

    /** Current status of every role, as sent at check-in. */
    public List<RoleStatus> status() {
        List<RoleStatus> out = new ArrayList<>();
        for (RoleAgent r : roles.values()) {
            out.add(r.pair().status());
        }
        return out;
    }

    public AgentConfig config() {
        return config;
    }

    @Override
    public void close() {
        closed = true;
        loop.close();
        outbox.close();
        AnnouncementListener l = listener;
        if (l != null) {
            l.close();
        }
        roles.values().forEach(RoleAgent::close);
    }

    /** The check-in interval the server's suggestion comes to, clamped and jittered (for tests). */
    long nextInterval(long suggestedMillis) {
        return loop.nextInterval(suggestedMillis);
    }

    /** One check-in; returns the delay until the next. */
    private synchronized long checkInOnce() {
        long nextDelay;
        try {
            DesiredState desired = client.checkIn(new CheckIn(metadata.keySet().version(), status(), metadata.trust().lastSequences()));
            if (!outbox.pending().isEmpty()) {
                outbox.flushSoon(); // the server is back: what it missed goes now
            }
            metadata.applyCheckIn(desired);
            Map<String, RoleDirective> byRole = new LinkedHashMap<>();
            desired.roles().forEach(d -> byRole.put(d.role(), d));
            for (Map.Entry<String, RoleAgent> r : roles.entrySet()) {
                r.getValue().apply(byRole.get(r.getKey()), metadata.desiredImage(r.getKey()));
            }
            failures = 0;
            nextDelay = loop.nextInterval(desired.checkInIntervalMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return config.limits().maxCheckIn().toMillis();
        } catch (IOException | RuntimeException e) {
            failures++;
            nextDelay = loop.backoff(failures);
            log.warn("event=check_in_failed device={} failures={} retry_ms={} error={}", config.deviceId(), failures,
                    nextDelay, e.toString());
        } catch (Error e) {
            // a box that stops checking in is lost to its operator: log loudly, keep the loop alive
            failures++;
            nextDelay = loop.backoff(failures);
            log.error("event=check_in_error device={} retry_ms={}", config.deviceId(), nextDelay, e);
        }
        return nextDelay;
    }

    private void guestCrashed(String role, Digest digest, String reason) {
        RoleAgent r = roles.get(role);
        if (r == null || closed) {
            return;
        }
        log.warn("event=guest_crashed device={} role={} image={} reason={}", config.deviceId(), role,
                digest.shortHex(), reason);
        runtime.workers().execute(() -> {
            try {
                r.restartAfterCrash(digest, reason);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                log.error("event=guest_restart_failed device={} role={} error={}", config.deviceId(), role,
                        e.toString());
            }
        });
    }

    private void refuse(String what, ImageVerificationException e) {
        log.warn("event={}_refused device={} reason={} detail={}", what.replace(' ', '_'), config.deviceId(),
                e.reason(), e.getMessage());
        report(new DeviceReport(ReportType.REFUSED, roles.keySet().iterator().next(), null, null,
                what + " " + e.reason() + ": " + e.getMessage()));
    }

    private void report(DeviceReport report) {
        if (!closed) {
            outbox.add(report);
        }
    }

    private RoleAgent roleAgent(String role) {
        RoleAgent r = roles.get(role);
        if (r == null) {
            throw new IllegalArgumentException("this box has no guest role " + role + " (roles: " + roles.keySet() + ")");
        }
        return r;
    }
}
