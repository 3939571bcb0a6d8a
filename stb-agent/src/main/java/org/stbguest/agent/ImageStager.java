package org.stbguest.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.agent.slot.BootControlStore;
import org.stbguest.agent.slot.SlotPair;
import org.stbguest.agent.storage.SlotStorage;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.device.api.ImageOffer;
import org.stbguest.device.api.ReportType;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.Manifest;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.trust.BoxTrust;
import org.stbguest.multicast.TransmissionReceiver;

/**
 * Writes an offered image into the inactive slot of one role: checks the signed manifest first (an offer that fails
 * is refused and reported, and not looked at again), receives the chunks by multicast when the offer names a
 * transmission, repairs what is still missing by HTTP range requests, verifies the whole slot and only then records it
 * as staged. A staging interrupted by a restart or a server that went away resumes: the chunks already in the slot
 * that match the manifest are kept, so nothing verified is fetched twice.
 *
 * <p>Every change to boot control happens under the role's lock ({@code lock}), the one {@link RoleAgent} holds.
 */
final class ImageStager {

    private static final Logger log = LoggerFactory.getLogger(ImageStager.class);
    static final int MAX_REFUSED_OFFERS = 64;
    /** The largest decoder store a transmission may ask for (the large-block code needs 23 MiB). */
    static final long MAX_DECODER_BYTES = 64L << 20;

    private final String role;
    private final AgentConfig config;
    private final AgentRuntime runtime;
    private final ServerClient client;
    private final SlotStorage storage;
    private final SlotPair pair;
    private final BootControlStore store;
    private final BoxTrust trust;
    private final Consumer<DeviceReport> reporter;
    private final Object lock;
    /**
     * Offers whose manifest failed verification, by the digest of exactly what was checked (the manifest's bytes and
     * every signature), never by the root digest the offer claims: a forged offer must not shadow the genuine image
     * it imitates. Bounded, oldest forgotten first.
     */
    private final Set<Digest> refusedOffers = Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Digest, Boolean> eldest) {
            return size() > MAX_REFUSED_OFFERS;
        }
    });
    private Staging staging;

    ImageStager(String role, AgentConfig config, AgentRuntime runtime, ServerClient client, SlotStorage storage,
                SlotPair pair, BootControlStore store, BoxTrust trust, Consumer<DeviceReport> reporter, Object lock) {
        this.role = role;
        this.config = config;
        this.runtime = runtime;
        this.client = client;
        this.storage = storage;
        this.pair = pair;
        this.store = store;
        this.trust = trust;
        this.reporter = reporter;
        this.lock = lock;
    }

    /** Starts staging what the server offers unless a slot or a running staging already holds it. Under the lock. */
    void offer(ImageOffer offer) throws IOException {
        Digest claimed;
        try {
            claimed = offer.manifest().unverifiedManifest().rootDigest();
        } catch (ImageVerificationException e) {
            log.warn("event=offer_malformed device={} role={} reason={}", config.deviceId(), role, e.getMessage());
            return;
        }
        if (pair.slotHolding(claimed).isPresent()
                || staging != null && staging.manifest.rootDigest().equals(claimed)) {
            return;
        }
        Digest checked = offerDigest(offer.manifest());
        if (refusedOffers.contains(checked)) {
            return;
        }
        Manifest manifest;
        try {
            manifest = trust.verifyManifest(offer.manifest(), role, config.hardwareModel(), pair.securityFloor());
        } catch (ImageVerificationException e) {
            refusedOffers.add(checked);
            log.warn("event=image_refused device={} role={} image={} reason={} detail={}", config.deviceId(), role,
                    claimed.shortHex(), e.reason(), e.getMessage());
            reporter.accept(new DeviceReport(ReportType.STAGE_FAILED, role, claimed, null,
                    e.reason() + ": " + e.getMessage()));
            return;
        }
        cancel();
        boolean resuming = pair.staging().filter(manifest.rootDigest()::equals).isPresent();
        Slot target = pair.beginStaging(manifest);
        store.save(pair);
        BitSet have = new BitSet();
        SlotStorage.SlotWriter writer = resuming ? storage.resume(target, manifest, have)
                : storage.openForWrite(target, manifest);
        if (resuming) {
            log.info("event=staging_resumed device={} role={} image={} chunks_kept={} of={}", config.deviceId(), role,
                    manifest.rootDigest().shortHex(), have.cardinality(), manifest.chunkDigests().size());
        } else {
            log.info("event=staging_started device={} role={} slot={} version={} image={} chunks={} multicast={}",
                    config.deviceId(), role, target, manifest.version(), manifest.rootDigest().shortHex(),
                    manifest.chunkDigests().size(), offer.transmission() != null);
        }
        staging = new Staging(manifest, target, writer, have);
        staging.start(offer);
    }

    /** Stops the staging under way, if any. */
    void cancel() {
        synchronized (lock) {
            if (staging != null) {
                staging.cancel();
                staging = null;
            }
        }
    }

    /** The digest of exactly what a manifest check looks at: the manifest's bytes and every signature. */
    static Digest offerDigest(SignedManifest signed) {
        var md = new StringBuilder(signed.manifestBase64());
        for (var sig : signed.signatures()) {
            md.append('|').append(sig.keyId().hex()).append(':').append(sig.signatureBase64());
        }
        return Digest.sha256(md.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void finish(Staging s) {
        synchronized (lock) {
            if (staging != s || s.cancelled) {
                return;
            }
            staging = null;
            try {
                s.writer.sync();
                s.writer.close();
                long verifyStarted = System.nanoTime();
                storage.verify(s.target, s.manifest);
                long verifyMs = (System.nanoTime() - verifyStarted) / 1_000_000;
                pair.staged(s.target, s.manifest);
                store.save(pair);
                log.info("event=image_staged device={} role={} slot={} version={} image={} bytes={} verify_ms={} "
                                + "kept_chunks={} multicast_chunks={} repaired_chunks={}", config.deviceId(), role,
                        s.target, s.manifest.version(), s.manifest.rootDigest().shortHex(), s.manifest.size(),
                        verifyMs, s.kept, s.multicastChunks, s.repairedChunks);
                reporter.accept(new DeviceReport(ReportType.STAGED, role, s.manifest.rootDigest(), s.target, null));
            } catch (IOException | RuntimeException e) {
                fail(s, e);
            }
        }
    }

    /**
     * Stops a staging that the server or the network broke off (a restart, a database outage, a dropped connection),
     * or that the box's own stop interrupted: not a failure of the image or of the box, so nothing is reported (the
     * server would count it against the rollout); the slot keeps the verified chunks and the next check-in that
     * offers the image resumes it.
     */
    private void pause(Staging s, Throwable e) {
        synchronized (lock) {
            drop(s);
            log.warn("event=staging_paused device={} role={} image={} error={} "
                    + "(resumes at the next check-in that offers it)", config.deviceId(), role,
                    s.manifest.rootDigest().shortHex(), e.toString());
        }
    }

    /** Stops {@code s} and forgets it, unless another staging has taken its place. Under the lock. */
    private void drop(Staging s) {
        if (staging == s) {
            staging = null;
        }
        s.cancel();
    }

    /** Whether a staging failure is the server or the network being away rather than the image or the box. */
    private static boolean serverAway(Throwable e) {
        return e instanceof IOException io && !(io instanceof StorageFailure) && ServerClient.isTransient(io);
    }

    /** The box's own storage failed to take a verified chunk: a failure to report, never a pause. */
    private static final class StorageFailure extends IOException {
        StorageFailure(IOException cause) {
            super("the slot could not be written: " + cause.getMessage(), cause);
        }
    }

    private void fail(Staging s, Throwable e) {
        synchronized (lock) {
            drop(s);
            log.warn("event=staging_failed device={} role={} image={} error={}", config.deviceId(), role,
                    s.manifest.rootDigest().shortHex(), e.toString());
            reporter.accept(new DeviceReport(ReportType.STAGE_FAILED, role, s.manifest.rootDigest(), s.target,
                    e.toString()));
        }
    }

    /** One image being written into one slot. */
    private final class Staging {
        final Manifest manifest;
        final Slot target;
        final SlotStorage.SlotWriter writer;
        final BitSet have;
        final int kept;
        volatile boolean cancelled;
        volatile boolean receiving;
        volatile TransmissionReceiver receiver;
        int multicastChunks;
        int repairedChunks;

        Staging(Manifest manifest, Slot target, SlotStorage.SlotWriter writer, BitSet have) {
            this.manifest = manifest;
            this.target = target;
            this.writer = writer;
            this.have = have;
            this.kept = have.cardinality();
        }

        /**
         * Receives by multicast when the offer names a transmission the box can take, and otherwise fetches the whole
         * image by unicast. The transmission's parameters are unsigned: one whose decoder would need more than
         * {@link #MAX_DECODER_BYTES}, or that cannot be joined (not a multicast group, a port in use), is ignored
         * rather than allowed to exhaust the box's memory or fail its staging at every check-in.
         */
        void start(ImageOffer offer) {
            int chunks = manifest.chunkDigests().size();
            if (have.cardinality() == chunks) {
                runtime.workers().execute(() -> finish(this));
                return;
            }
            var t = offer.transmission();
            if (t != null && (long) t.symbolSize() * t.blockSymbols() > MAX_DECODER_BYTES) {
                log.warn("event=transmission_ignored device={} role={} reason=decoder_too_large symbol_size={} "
                        + "block_symbols={}", config.deviceId(), role, t.symbolSize(), t.blockSymbols());
                t = null;
            }
            if (t != null) {
                try {
                    receiver = TransmissionReceiver.start(runtime.eventLoops(), config.multicast(), t, manifest,
                            (BitSet) have.clone(), this::write, runtime.workers());
                } catch (InterruptedException e) { // the box is stopping
                    Thread.currentThread().interrupt();
                    pause(this, e);
                    return;
                } catch (IOException | RuntimeException e) {
                    log.warn("event=transmission_ignored device={} role={} reason=cannot_join error={}",
                            config.deviceId(), role, e.toString());
                    t = null;
                }
            }
            if (t == null) {
                BitSet missing = new BitSet();
                missing.set(0, chunks);
                missing.andNot(have);
                runtime.workers().execute(() -> repairThenFinish(missing));
                return;
            }
            receiver.completion()
                    .orTimeout(config.stageTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .whenCompleteAsync((ok, error) -> {
                        TransmissionReceiver r = receiver;
                        r.close();
                        multicastChunks = r.chunksVerified() - kept;
                        if (error == null) {
                            finish(this);
                        } else if (error instanceof java.util.concurrent.TimeoutException) {
                            repairThenFinish(r.missingChunks());
                        } else {
                            fail(this, error);
                        }
                    }, runtime.workers());
        }

        /** Writes a verified chunk; the first one is logged (when the data began to arrive). */
        private void write(int index, byte[] data) throws IOException {
            if (!receiving) {
                receiving = true;
                log.info("event=staging_receiving device={} role={} image={} first_chunk={}", config.deviceId(), role,
                        manifest.rootDigest().shortHex(), index);
            }
            try {
                writer.writeChunk(index, data);
            } catch (IOException e) {
                throw new StorageFailure(e);
            }
        }

        private void repairThenFinish(BitSet missing) {
            try {
                // by HTTP range requests on the image, a run of missing chunks per request, each chunk verified
                repairedChunks += client.fetchMissingChunks(manifest, missing, this::write, () -> cancelled);
                if (cancelled) {
                    return;
                }
                finish(this);
            } catch (InterruptedException e) { // the box is stopping: it resumes when it is back
                Thread.currentThread().interrupt();
                pause(this, e);
            } catch (IOException | RuntimeException e) {
                if (serverAway(e)) {
                    pause(this, e);
                } else {
                    fail(this, e);
                }
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
