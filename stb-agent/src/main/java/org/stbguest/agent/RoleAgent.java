package org.stbguest.agent;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.agent.hypervisor.Hypervisor;
import org.stbguest.agent.slot.BootControlStore;
import org.stbguest.agent.slot.IllegalSlotTransitionException;
import org.stbguest.agent.slot.SlotPair;
import org.stbguest.agent.slot.SlotState;
import org.stbguest.agent.storage.SlotStorage;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.device.api.ReportType;
import org.stbguest.device.api.RoleDirective;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.Manifest;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.trust.BoxTrust;

/**
 * Drives one guest role of one box towards its desired state: hands offers to the {@link ImageStager}, switches the
 * running slot on trial when a verified statement names an image the other slot holds ({@link TrialBoot} boots it,
 * commits it or falls back), boots the role's guest when the box starts, and restarts a committed guest that crashed.
 * All decisions on boot control are the {@link SlotPair}'s; every transition is saved before the next step.
 */
final class RoleAgent {

    private static final Logger log = LoggerFactory.getLogger(RoleAgent.class);

    private final String role;
    private final AgentConfig config;
    private final SlotStorage storage;
    private final BootControlStore store;
    private final Consumer<DeviceReport> reporter;
    private final BoxTrust trust;
    private final SlotPair pair;
    private final ImageStager stager;
    private final TrialBoot trialBoot;
    /** Images whose activation this box refused or whose trial boot failed: verified digests of slots it holds. */
    private final Set<Digest> refused = new HashSet<>();

    RoleAgent(String role, AgentConfig config, AgentRuntime runtime, ServerClient client, Hypervisor hypervisor,
              SlotStorage storage, BootControlStore store, BoxTrust trust, Consumer<DeviceReport> reporter)
            throws IOException {
        this.trust = trust;
        this.role = role;
        this.config = config;
        this.storage = storage;
        this.store = store;
        this.reporter = reporter;
        this.pair = store.load(role).orElseGet(() -> SlotPair.empty(role));
        this.stager = new ImageStager(role, config, runtime, client, storage, pair, store, trust, reporter, this);
        this.trialBoot = new TrialBoot(role, config, hypervisor, storage, store);
    }

    synchronized SlotPair pair() {
        return SlotPair.restore(pair.snapshot());
    }

    synchronized void provisionFactoryImage(SignedManifest signed, byte[] image) throws IOException {
        Manifest manifest = trust.verifyManifest(signed, role, config.hardwareModel(), pair.securityFloor());
        if (manifest.size() != image.length) {
            throw new ImageVerificationException(ImageVerificationException.Reason.TRUNCATED,
                    "factory image has " + image.length + " bytes, manifest says " + manifest.size());
        }
        try (SlotStorage.SlotWriter w = storage.openForWrite(Slot.A, manifest)) {
            for (int i = 0; i < manifest.chunkDigests().size(); i++) {
                int from = i * manifest.chunkSize();
                byte[] chunk = Arrays.copyOfRange(image, from, from + manifest.chunkLength(i));
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
     *
     * <p>A box whose trials were all cut short by power cuts (each boot of a slot on trial spends one of its tries,
     * as a bootloader counts them) can be left with nothing bootable although no guest ever failed. It then tries the
     * wanted image again, with fresh tries, rather than stay without a guest until the server wants another one; a
     * slot whose guest did fail keeps its failure and is not tried again.
     */
    synchronized void apply(RoleDirective directive, Digest wanted) throws IOException, InterruptedException {
        if (wanted != null && !refused.contains(wanted)) {
            Optional<Slot> holder = pair.slotHolding(wanted);
            boolean active = wanted.equals(pair.activeDigest().orElse(null));
            boolean stranded = active && holder.isPresent() && pair.slot(holder.get()).failure() == null
                    && !pair.anyBootable();
            if (holder.isPresent() && (!active || stranded)) {
                if (stranded) {
                    log.warn("event=trial_retried device={} role={} slot={} image={} reason=\"its tries were spent "
                                    + "by interrupted boots and nothing else is bootable\"", config.deviceId(), role,
                            holder.get(), wanted.shortHex());
                }
                activate(holder.get());
                return;
            }
        }
        if (directive != null && directive.stage() != null) {
            stager.offer(directive.stage());
        }
    }

    /**
     * Boots this role's guest when the box starts, as its bootloader would: the committed slot, or the slot left on
     * trial by a restart or a power cut in the middle of an activation (committed if it comes up healthy, given up
     * for the fallback when its tries are spent). A trial that ends either way is reported.
     */
    synchronized void bootAtStart() throws IOException, InterruptedException {
        Optional<Slot> before = pair.active();
        if (before.isEmpty() || !pair.slot(before.get()).bootable()) {
            if (pair.anyBootable()) {
                before = Optional.of(pair.slot(Slot.A).bootable() ? Slot.A : Slot.B);
            } else {
                log.info("event=nothing_to_boot device={} role={}", config.deviceId(), role);
                return;
            }
        }
        SlotState was = pair.slot(before.get());
        boolean onTrial = !was.successful();
        TrialBoot.Outcome outcome = trialBoot.run(pair);
        if (onTrial) {
            reportTrial(before.get(), was, outcome, isRollback(before.get()));
        } else if (outcome.running().isEmpty()) {
            reporter.accept(new DeviceReport(ReportType.CRASHED, role, was.digest(), before.get(),
                    "the committed guest did not come up at start: " + outcome.lastFailure()));
        }
    }

    /** A committed guest stopped on its own: report it, then boot the role again (the committed slot). */
    synchronized void restartAfterCrash(Digest digest, String reason) throws IOException, InterruptedException {
        reporter.accept(new DeviceReport(ReportType.CRASHED, role, digest, pair.active().orElse(null), reason));
        if (!digest.equals(pair.activeDigest().orElse(null))) {
            return; // a newer activation already replaced it
        }
        TrialBoot.Outcome outcome = trialBoot.run(pair);
        log.info("event=guest_restarted device={} role={} running={} reason={}", config.deviceId(), role,
                outcome.running().orElse(null), outcome.lastFailure());
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

    void close() {
        stager.cancel();
    }

    private boolean isRollback(Slot target) {
        // an activation of an older image than the one in the other slot is a rollback (the server signed it as one)
        SlotState other = pair.slot(target.other());
        return other.holdsImage() && other.successful() && other.version() > pair.slot(target).version();
    }

    private void activate(Slot target) throws IOException, InterruptedException {
        SlotState wanted = pair.slot(target);
        Optional<Slot> previous = pair.active();
        boolean rollback = previous.isPresent() && previous.get() != target
                && pair.slot(previous.get()).holdsImage() && pair.slot(previous.get()).version() > wanted.version();
        try {
            pair.setActiveForTrial(target, config.bootTries());
        } catch (IllegalSlotTransitionException e) {
            refused.add(wanted.digest());
            log.warn("event=activation_refused device={} role={} image={} reason={}", config.deviceId(), role,
                    wanted.digest().shortHex(), e.getMessage());
            reporter.accept(new DeviceReport(ReportType.REFUSED, role, wanted.digest(), target, e.getMessage()));
            return;
        }
        store.save(pair);
        log.info("event=trial_started device={} role={} slot={} version={} image={} rollback={}", config.deviceId(),
                role, target, wanted.version(), wanted.digest().shortHex(), rollback);
        reportTrial(target, wanted, trialBoot.run(pair), rollback);
    }

    private void reportTrial(Slot target, SlotState wanted, TrialBoot.Outcome outcome, boolean rollback) {
        if (outcome.running().filter(s -> s == target).isPresent()) {
            log.info("event=slot_committed device={} role={} slot={} version={} image={}", config.deviceId(), role,
                    target, wanted.version(), wanted.digest().shortHex());
            reporter.accept(new DeviceReport(rollback ? ReportType.ROLLED_BACK : ReportType.ACTIVATED, role,
                    wanted.digest(), target, null));
        } else if (outcome.running().isPresent()) {
            log.warn("event=fell_back device={} role={} wanted={} running={} reason={}", config.deviceId(), role,
                    wanted.digest().shortHex(), outcome.running().get(), outcome.lastFailure());
            refused.add(wanted.digest());
            reporter.accept(new DeviceReport(ReportType.BOOT_FAILED, role, wanted.digest(), target,
                    outcome.lastFailure()));
        } else {
            log.error("event=no_bootable_slot device={} role={} reason={}", config.deviceId(), role,
                    outcome.lastFailure());
            reporter.accept(new DeviceReport(ReportType.BOOT_FAILED, role, wanted.digest(), target,
                    outcome.lastFailure()));
        }
    }
}
