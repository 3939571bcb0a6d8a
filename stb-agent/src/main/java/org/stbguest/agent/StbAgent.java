package org.stbguest.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.agent.hypervisor.Hypervisor;
import org.stbguest.agent.slot.BootControlStore;
import org.stbguest.agent.slot.SlotPair;
import org.stbguest.agent.storage.SlotStorage;
import org.stbguest.device.api.CheckIn;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.device.api.RoleDirective;
import org.stbguest.device.api.RoleStatus;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.Manifest;
import org.stbguest.image.Digest;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.trust.BoxTrust;
import org.stbguest.image.trust.KeySet;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.Statement;
import org.stbguest.device.api.ReportType;
import org.stbguest.multicast.AnnouncementListener;

/**
 * The set-top box agent: checks in with the operator server on a schedule (and at once when an announcement on the
 * control group hints that something is on the air), applies the desired state to each guest role, and reports
 * what happened. One instance per box; the simulator runs many on a shared {@link AgentRuntime}.
 */
public final class StbAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StbAgent.class);
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final AgentConfig config;
    private final AgentRuntime runtime;
    private final ServerClient client;
    private final Map<String, RoleAgent> roles = new LinkedHashMap<>();
    private final BoxTrust trust;
    private final AgentStateStore stateStore;
    private final Map<String, Digest> desiredImages = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong refusedAnnouncements = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong controlGroupActivations = new java.util.concurrent.atomic.AtomicLong();
    private final Object scheduling = new Object();
    private boolean checkInRunning;
    private boolean checkInAgain;
    private volatile boolean closed;
    private ScheduledFuture<?> next;
    private volatile AnnouncementListener listener;
    private long failures;

    private StbAgent(AgentConfig config, AgentRuntime runtime, Hypervisor hypervisor,
                     Function<String, SlotStorage> storageForRole) throws IOException {
        this.config = config;
        this.runtime = runtime;
        this.client = new ServerClient(runtime.http(), config.server(), config.token(), config.limits());
        this.stateStore = new AgentStateStore(config.stateDir());
        var saved = stateStore.load();
        this.trust = saved.map(s -> BoxTrust.restore(s.trust(), runtime.clock()))
                .orElseGet(() -> BoxTrust.pinned(config.trustAnchor(), runtime.clock()));
        saved.ifPresent(s -> desiredImages.putAll(s.desiredImages()));
        BootControlStore store = new BootControlStore(config.stateDir());
        for (String role : config.roles()) {
            roles.put(role, new RoleAgent(role, config, runtime, client, hypervisor, storageForRole.apply(role), store,
                    trust, this::reportAsync));
        }
    }

    /** Creates an agent; its boot-control state is loaded from {@code config.stateDir()} if present. */
    public static StbAgent create(AgentConfig config, AgentRuntime runtime, Hypervisor hypervisor,
                                  Function<String, SlotStorage> storageForRole) throws IOException {
        return new StbAgent(config, runtime, hypervisor, storageForRole);
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
        return trust.keySet();
    }

    /** Starts checking in (at once) and, if configured, listening for announcements. */
    public void start() throws InterruptedException, IOException {
        if (config.controlGroup() != null) {
            listener = AnnouncementListener.start(runtime.eventLoops(), config.multicast(),
                    InetAddress.getByName(config.controlGroup()), config.controlPort(),
                    a -> runtime.workers().execute(() -> onAnnouncement(a.statement())));
        }
        checkInSoon();
    }

    /**
     * A signed announcement heard on the control group: checked like any director statement (forged, expired and
     * replayed ones are ignored and counted) and, when new, answered with an immediate check-in.
     */
    void onAnnouncement(SignedStatement statement) {
        try {
            var accepted = trust.accept(statement);
            if (accepted.isEmpty()) {
                return;
            }
            if (accepted.get() instanceof Statement.Activate a) {
                // a wave or a rollback heard on the control group: act on it now, no round trip to the server
                apply(a);
                stateStore.save(new AgentStateStore.AgentState(trust.state(), desiredImages));
                RoleAgent r = roles.get(a.role());
                if (r != null && a.includes(config.deviceId())) {
                    controlGroupActivations.incrementAndGet();
                    r.apply(null, desiredImages.get(a.role()));
                }
            } else {
                stateStore.save(new AgentStateStore.AgentState(trust.state(), desiredImages));
                checkInSoon();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ImageVerificationException e) {
            refusedAnnouncements.incrementAndGet();
            log.debug("event=announcement_ignored device={} reason={}", config.deviceId(), e.reason());
        } catch (IOException e) {
            log.warn("event=state_save_failed device={} error={}", config.deviceId(), e.toString());
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

    /**
     * Asks for a check-in as soon as possible, even when the next one is scheduled far off; requests made while one
     * is due or running are merged.
     */
    public void checkInSoon() {
        schedule(0);
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
        synchronized (scheduling) {
            closed = true;
            if (next != null) {
                next.cancel(false);
            }
        }
        AnnouncementListener l = listener;
        if (l != null) {
            l.close();
        }
        roles.values().forEach(RoleAgent::close);
    }

    /**
     * Schedules the next check-in {@code delayMillis} from now. An earlier request wins over a later one: asking for
     * a check-in now while the next is an hour away moves it to now (an announcement must not wait for the
     * interval), and asking while one is running makes another follow it at once.
     */
    private void schedule(long delayMillis) {
        synchronized (scheduling) {
            if (closed) {
                return;
            }
            if (checkInRunning) {
                if (delayMillis == 0) {
                    checkInAgain = true;
                }
                return;
            }
            ScheduledFuture<?> pending = next;
            if (pending != null && !pending.isDone()) {
                if (pending.getDelay(TimeUnit.MILLISECONDS) <= delayMillis) {
                    return; // one is due sooner already
                }
                pending.cancel(false);
            }
            next = runtime.scheduler().schedule(() -> runtime.workers().execute(this::checkIn), delayMillis,
                    TimeUnit.MILLISECONDS);
        }
    }

    private void checkIn() {
        synchronized (scheduling) {
            if (closed || checkInRunning) {
                return;
            }
            checkInRunning = true;
            next = null;
        }
        long nextDelay;
        try {
            nextDelay = checkInOnce();
        } finally {
            synchronized (scheduling) {
                checkInRunning = false;
                if (checkInAgain) {
                    checkInAgain = false;
                    nextDelay = 0;
                }
            }
        }
        schedule(nextDelay);
    }

    /** One check-in; returns the delay until the next. */
    private synchronized long checkInOnce() {
        long nextDelay;
        try {
            DesiredState desired = client.checkIn(new CheckIn(trust.keySet().version(), status()));
            applySignedMetadata(desired);
            Map<String, RoleDirective> byRole = new LinkedHashMap<>();
            desired.roles().forEach(d -> byRole.put(d.role(), d));
            for (Map.Entry<String, RoleAgent> r : roles.entrySet()) {
                r.getValue().apply(byRole.get(r.getKey()), desiredImages.get(r.getKey()));
            }
            failures = 0;
            nextDelay = nextInterval(desired.checkInIntervalMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return config.limits().maxCheckIn().toMillis();
        } catch (IOException | RuntimeException e) {
            failures++;
            nextDelay = backoff();
            log.warn("event=check_in_failed device={} failures={} retry_ms={} error={}", config.deviceId(), failures,
                    nextDelay, e.toString());
        } catch (Error e) {
            // a box that stops checking in is lost to its operator: log loudly, keep the loop alive
            failures++;
            nextDelay = backoff();
            log.error("event=check_in_error device={} retry_ms={}", config.deviceId(), nextDelay, e);
        }
        return nextDelay;
    }

    /**
     * The interval until the next check-in: what the server suggests (unsigned, so only a suggestion) or the
     * configured default, clamped to the configured bounds and spread by the jitter.
     */
    long nextInterval(long suggestedMillis) {
        var limits = config.limits();
        long wanted = suggestedMillis > 0 ? suggestedMillis : config.defaultCheckInInterval().toMillis();
        long clamped = Math.max(limits.minCheckIn().toMillis(), Math.min(limits.maxCheckIn().toMillis(), wanted));
        return jitter(clamped);
    }

    private long jitter(long millis) {
        double spread = config.limits().jitter();
        return Math.max(1, Math.round(millis * (1 + spread * (2 * ThreadLocalRandom.current().nextDouble() - 1))));
    }

    /** Follows key-set rotations, then accepts director statements in sequence order; refusals are reported. */
    private void applySignedMetadata(DesiredState desired) throws IOException {
        boolean changed = false;
        if (!desired.keySets().isEmpty()) {
            long before = trust.keySet().version();
            try {
                trust.update(desired.keySets());
            } catch (ImageVerificationException e) {
                refuse("key set", e);
            }
            changed = trust.keySet().version() != before;
        }
        var statements = new ArrayList<>(desired.statements());
        statements.sort(java.util.Comparator.comparingLong(s -> sequenceOf(s)));
        for (SignedStatement signed : statements) {
            try {
                var accepted = trust.accept(signed);
                changed |= accepted.isPresent();
                if (accepted.isPresent()) {
                    apply(accepted.get());
                }
            } catch (ImageVerificationException e) {
                refuse("statement", e);
            }
        }
        if (changed) {
            stateStore.save(new AgentStateStore.AgentState(trust.state(), desiredImages));
        }
    }

    private void apply(Statement statement) throws IOException {
        switch (statement.kind()) {
            case ACTIVATE -> {
                var a = (Statement.Activate) statement;
                if (roles.containsKey(a.role()) && !a.includes(config.deviceId())) {
                    log.debug("event=activate_not_for_this_box device={} role={} image={}", config.deviceId(),
                            a.role(), a.image().shortHex());
                } else if (roles.containsKey(a.role())) {
                    desiredImages.put(a.role(), a.image());
                    log.info("event=activate_accepted device={} role={} image={}", config.deviceId(), a.role(),
                            a.image().shortHex());
                }
            }
            case FINALIZE -> {
                var f = (Statement.Finalize) statement;
                RoleAgent r = roles.get(f.role());
                if (r != null) {
                    r.requestFloor(f.securityFloor());
                }
            }
            case ANNOUNCE -> checkInSoon();
        }
    }

    private static long sequenceOf(SignedStatement s) {
        try {
            return s.unverified().sequence();
        } catch (ImageVerificationException e) {
            return Long.MAX_VALUE;
        }
    }

    private void refuse(String what, ImageVerificationException e) {
        log.warn("event={}_refused device={} reason={} detail={}", what.replace(' ', '_'), config.deviceId(),
                e.reason(), e.getMessage());
        reportAsync(new DeviceReport(ReportType.REFUSED, roles.keySet().iterator().next(), null, null,
                what + " " + e.reason() + ": " + e.getMessage()));
    }

    private long backoff() {
        long base = Math.max(config.limits().minCheckIn().toMillis(),
                Math.min(config.limits().maxCheckIn().toMillis(), config.defaultCheckInInterval().toMillis()));
        return jitter(Math.min(Math.max(MAX_BACKOFF_MILLIS, base), base * (1L << Math.min(failures, 5))));
    }

    private void reportAsync(DeviceReport report) {
        if (closed) {
            return;
        }
        runtime.workers().execute(() -> {
            try {
                client.report(report);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                // the next check-in carries the same state, so a lost report costs only latency
                log.warn("event=report_failed device={} type={} error={}", config.deviceId(), report.type(), e.getMessage());
            }
        });
    }

    private RoleAgent roleAgent(String role) {
        RoleAgent r = roles.get(role);
        if (r == null) {
            throw new IllegalArgumentException("this box has no guest role " + role + " (roles: " + roles.keySet() + ")");
        }
        return r;
    }
}
