package org.stbguest.agent;

import java.io.IOException;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.agent.hypervisor.BootOutcome;
import org.stbguest.agent.hypervisor.BootRequest;
import org.stbguest.agent.hypervisor.Hypervisor;
import org.stbguest.agent.slot.BootControlStore;
import org.stbguest.agent.slot.SlotPair;
import org.stbguest.agent.slot.SlotState;
import org.stbguest.agent.storage.FileSlotStorage;
import org.stbguest.agent.storage.SlotStorage;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.device.api.ImageOffer;
import org.stbguest.device.api.ReportType;
import org.stbguest.device.api.RoleDirective;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.Manifest;
import org.stbguest.image.trust.BoxTrust;
import org.stbguest.multicast.TransmissionReceiver;

/**
 * Drives one guest role of one box towards its desired state: stages an offered image into the inactive slot
 * (multicast, then unicast repair of whatever is still missing), and switches the running slot on trial when the
 * server asks for an image the other slot holds. All decisions on boot control are the {@link SlotPair}'s; this
 * class orchestrates and persists after every transition.
 */
final class RoleAgent {

    private static final Logger log = LoggerFactory.getLogger(RoleAgent.class);
    static final int MAX_REFUSED_OFFERS = 64;
    /** The largest decoder store a transmission may ask for (the large-block code needs 23 MiB). */
    static final long MAX_DECODER_BYTES = 64L << 20;

    private final String role;
    private final AgentConfig config;
    private final AgentRuntime runtime;
    private final ServerClient client;
    private final Hypervisor hypervisor;
    private final SlotStorage storage;
    private final BootControlStore store;
    private final Consumer<DeviceReport> reporter;
    private final BoxTrust trust;
    /** Images whose activation this box refused or whose trial boot failed: verified digests of slots it holds. */
    private final Set<Digest> refused = new HashSet<>();
    /**
     * Offers whose manifest failed verification, by the digest of exactly what was checked (the manifest's bytes and
     * every signature), never by the root digest the offer claims: a forged offer must not shadow the genuine image
     * it imitates. Bounded, oldest forgotten first.
     */
    private final Set<Digest> refusedOffers = java.util.Collections.newSetFromMap(
            new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<Digest, Boolean> eldest) {
                    return size() > MAX_REFUSED_OFFERS;
                }
            });
    private SlotPair pair;
    private Staging staging;

    RoleAgent(String role, AgentConfig config, AgentRuntime runtime, ServerClient client, Hypervisor hypervisor,
              SlotStorage storage, BootControlStore store, BoxTrust trust, Consumer<DeviceReport> reporter)
            throws IOException {
        this.trust = trust;
        this.role = role;
        this.config = config;
        this.runtime = runtime;
        this.client = client;
        this.hypervisor = hypervisor;
        this.storage = storage;
        this.store = store;
        this.reporter = reporter;
        this.pair = store.load(role).orElseGet(() -> SlotPair.empty(role));
    }

    synchronized SlotPair pair() {
        return SlotPair.restore(pair.snapshot());
    }

    synchronized void provisionFactoryImage(org.stbguest.image.SignedManifest signed, byte[] image) throws IOException {
        Manifest manifest = trust.verifyManifest(signed, role, config.hardwareModel(), pair.securityFloor());
        if (manifest.size() != image.length) {
            throw new ImageVerificationException(ImageVerificationException.Reason.TRUNCATED,
                    "factory image has " + image.length + " bytes, manifest says " + manifest.size());
        }
        try (SlotStorage.SlotWriter w = storage.openForWrite(Slot.A, manifest)) {
            for (int i = 0; i < manifest.chunkDigests().size(); i++) {
                int from = i * manifest.chunkSize();
                byte[] chunk = java.util.Arrays.copyOfRange(image, from, from + manifest.chunkLength(i));
                manifest.verifyChunk(i, chunk, 0, chunk.length);
                w.writeChunk(i, chunk);
            }
            w.sync();
        }
        storage.verify(Slot.A, manifest);
        pair.provisionFactoryImage(manifest);
        store.save(pair);
    }

    /**
     * Moves this role towards its desired state: runs {@code wanted} (named by a verified director statement) if a
     * slot holds it, and otherwise stages what the server offers.
     */
    synchronized void apply(RoleDirective directive, Digest wanted) throws IOException, InterruptedException {
        if (wanted != null && !wanted.equals(pair.activeDigest().orElse(null)) && !refused.contains(wanted)) {
            Optional<Slot> holder = pair.slotHolding(wanted);
            if (holder.isPresent()) {
                activate(holder.get());
                return;
            }
        }
        if (directive != null && directive.stage() != null) {
            ensureStaging(directive.stage());
        }
    }

    /**
     * A verified finalize statement: the floor rises at once if a committed slot at or above it runs, and otherwise
     * once one does (see {@link SlotPair#requestFloor}).
     */
    synchronized void requestFloor(long floor) throws IOException {
        boolean raised = pair.requestFloor(floor);
        store.save(pair);
        if (raised) {
            log.info("event=security_floor_raised device={} role={} floor={}", config.deviceId(), role, floor);
        } else {
            log.info("event=security_floor_pending device={} role={} floor={} in_force={}", config.deviceId(), role,
                    floor, pair.securityFloor());
        }
    }

    synchronized void close() {
        if (staging != null) {
            staging.cancel();
            staging = null;
        }
    }

    private void ensureStaging(ImageOffer offer) throws IOException {
        Manifest manifest;
        Digest claimed;
        try {
            claimed = offer.manifest().unverifiedManifest().rootDigest();
        } catch (ImageVerificationException e) {
            log.warn("event=offer_malformed device={} role={} reason={}", config.deviceId(), role, e.getMessage());
            return;
        }
        // a slot or a staging already holds the verified image with this digest: nothing to do for any offer of it
        if (pair.slotHolding(claimed).isPresent()
                || staging != null && staging.manifest.rootDigest().equals(claimed)) {
            return;
        }
        Digest checked = offerDigest(offer.manifest());
        if (refusedOffers.contains(checked)) {
            return;
        }
        try {
            manifest = trust.verifyManifest(offer.manifest(), role, config.hardwareModel(), pair.securityFloor());
        } catch (ImageVerificationException e) {
            refusedOffers.add(checked);
            log.warn("event=image_refused device={} role={} image={} reason={} detail={}", config.deviceId(), role,
                    claimed.shortHex(), e.reason(), e.getMessage());
            reporter.accept(new DeviceReport(ReportType.STAGE_FAILED, role, claimed, null, e.reason() + ": " + e.getMessage()));
            return;
        }
        if (staging != null) {
            staging.cancel();
        }
        Slot target = pair.beginStaging(manifest);
        store.save(pair);
        staging = new Staging(manifest, target, storage.openForWrite(target, manifest));
        staging.start(offer);
    }

    /** The digest of exactly what a manifest check looks at: the manifest's bytes and every signature. */
    static Digest offerDigest(org.stbguest.image.SignedManifest signed) {
        var md = new StringBuilder(signed.manifestBase64());
        for (var sig : signed.signatures()) {
            md.append('|').append(sig.keyId().hex()).append(':').append(sig.signatureBase64());
        }
        return Digest.sha256(md.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private void activate(Slot target) throws IOException, InterruptedException {
        SlotState wanted = pair.slot(target);
        Optional<Slot> previous = pair.active();
        // an activation of an older image than the one running is a rollback (the server signed it as one)
        boolean rollback = previous.isPresent() && previous.get() != target
                && pair.slot(previous.get()).digest() != null && pair.slot(previous.get()).version() > wanted.version();
        try {
            pair.setActiveForTrial(target, config.bootTries());
        } catch (org.stbguest.agent.slot.IllegalSlotTransitionException e) {
            refused.add(wanted.digest());
            log.warn("event=activation_refused device={} role={} image={} reason={}", config.deviceId(), role,
                    wanted.digest().shortHex(), e.getMessage());
            reporter.accept(new DeviceReport(ReportType.REFUSED, role, wanted.digest(), target, e.getMessage()));
            return;
        }
        store.save(pair);
        String lastFailure = "nothing bootable";
        for (int attempt = 0; attempt <= config.bootTries() + 1; attempt++) {
            Optional<Slot> boot = pair.selectBootSlot();
            store.save(pair);
            if (boot.isEmpty()) {
                break;
            }
            SlotState s = pair.slot(boot.get());
            Slot booted = boot.get();
            BootOutcome outcome = hypervisor.boot(new BootRequest(role, booted, s.digest(), s.version(),
                    storage instanceof FileSlotStorage f ? f.file(booted) : null));
            if (outcome.healthy()) {
                long floorBefore = pair.securityFloor();
                pair.markSuccessful(booted);
                store.save(pair);
                if (pair.securityFloor() != floorBefore) {
                    log.info("event=security_floor_raised device={} role={} floor={}", config.deviceId(), role,
                            pair.securityFloor());
                }
                if (booted == target) {
                    log.info("event=slot_committed device={} role={} slot={} version={} image={}", config.deviceId(), role,
                            booted, s.version(), s.digest().shortHex());
                    reporter.accept(new DeviceReport(rollback ? ReportType.ROLLED_BACK : ReportType.ACTIVATED, role,
                            s.digest(), booted, null));
                } else {
                    log.warn("event=fell_back device={} role={} wanted={} running={} reason={}", config.deviceId(), role,
                            wanted.digest().shortHex(), s.digest().shortHex(), lastFailure);
                    refused.add(wanted.digest());
                    reporter.accept(new DeviceReport(ReportType.BOOT_FAILED, role, wanted.digest(), target, lastFailure));
                }
                return;
            }
            lastFailure = outcome.detail();
            if (pair.slot(booted).triesRemaining() == 0) {
                pair.markUnbootable(booted);
                store.save(pair);
            }
        }
        log.error("event=no_bootable_slot device={} role={} previous={} reason={}", config.deviceId(), role,
                previous.orElse(null), lastFailure);
        reporter.accept(new DeviceReport(ReportType.BOOT_FAILED, role, wanted.digest(), target, lastFailure));
    }

    private synchronized void finishStaging(Staging s) {
        if (staging != s || s.cancelled) {
            return;
        }
        staging = null;
        try {
            s.writer.sync();
            s.writer.close();
            storage.verify(s.target, s.manifest);
            pair.staged(s.target, s.manifest);
            store.save(pair);
            log.info("event=image_staged device={} role={} slot={} version={} image={} multicast_chunks={} repaired_chunks={}",
                    config.deviceId(), role, s.target, s.manifest.version(), s.manifest.rootDigest().shortHex(),
                    s.multicastChunks, s.repairedChunks);
            reporter.accept(new DeviceReport(ReportType.STAGED, role, s.manifest.rootDigest(), s.target, null));
        } catch (IOException | RuntimeException e) {
            failStaging(s, e);
        }
    }

    private synchronized void failStaging(Staging s, Throwable e) {
        if (staging == s) {
            staging = null;
        }
        s.cancel();
        log.warn("event=staging_failed device={} role={} image={} error={}", config.deviceId(), role,
                s.manifest.rootDigest().shortHex(), e.toString());
        reporter.accept(new DeviceReport(ReportType.STAGE_FAILED, role, s.manifest.rootDigest(), s.target, e.toString()));
    }

    /** One image being written into one slot. */
    private final class Staging {
        final Manifest manifest;
        final Slot target;
        final SlotStorage.SlotWriter writer;
        volatile boolean cancelled;
        volatile TransmissionReceiver receiver;
        int multicastChunks;
        int repairedChunks;

        Staging(Manifest manifest, Slot target, SlotStorage.SlotWriter writer) {
            this.manifest = manifest;
            this.target = target;
            this.writer = writer;
        }

        /**
         * Receives by multicast when the offer names a transmission the box can take, and otherwise fetches the whole
         * image by unicast. The transmission's parameters are unsigned: one whose decoder would need more than
         * {@link #MAX_DECODER_BYTES}, or that cannot be joined (not a multicast group, a port in use), is ignored
         * rather than allowed to exhaust the box's memory or fail its staging at every check-in.
         */
        void start(ImageOffer offer) {
            var t = offer.transmission();
            if (t != null && (long) t.symbolSize() * t.blockSymbols() > MAX_DECODER_BYTES) {
                log.warn("event=transmission_ignored device={} role={} reason=decoder_too_large symbol_size={} "
                        + "block_symbols={}", config.deviceId(), role, t.symbolSize(), t.blockSymbols());
                t = null;
            }
            if (t != null) {
                try {
                    receiver = TransmissionReceiver.start(runtime.eventLoops(), config.multicast(), t, manifest,
                            new BitSet(), writer::writeChunk, runtime.workers());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failStaging(this, e);
                    return;
                } catch (IOException | RuntimeException e) {
                    log.warn("event=transmission_ignored device={} role={} reason=cannot_join error={}",
                            config.deviceId(), role, e.toString());
                    t = null;
                }
            }
            if (t == null) {
                BitSet all = new BitSet();
                all.set(0, manifest.chunkDigests().size());
                runtime.workers().execute(() -> repairThenFinish(all));
                return;
            }
            receiver.completion()
                    .orTimeout(config.stageTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .whenCompleteAsync((ok, error) -> {
                        TransmissionReceiver r = receiver;
                        r.close();
                        multicastChunks = r.chunksVerified();
                        if (error == null) {
                            finishStaging(this);
                        } else if (error instanceof java.util.concurrent.TimeoutException) {
                            repairThenFinish(r.missingChunks());
                        } else {
                            failStaging(this, error);
                        }
                    }, runtime.workers());
        }

        private void repairThenFinish(BitSet missing) {
            try {
                // by HTTP range requests on the image, a run of missing chunks per request, each chunk verified
                repairedChunks += client.fetchMissingChunks(manifest, missing, writer::writeChunk, () -> cancelled);
                if (cancelled) {
                    return;
                }
                finishStaging(this);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failStaging(this, e);
            } catch (IOException | RuntimeException e) {
                failStaging(this, e);
            }
        }

        void cancel() {
            cancelled = true;
            TransmissionReceiver r = receiver;
            if (r != null) {
                r.close();
            }
            try {
                writer.close();
            } catch (IOException e) {
                log.debug("event=writer_close_failed error={}", e.toString());
            }
        }
    }
}
