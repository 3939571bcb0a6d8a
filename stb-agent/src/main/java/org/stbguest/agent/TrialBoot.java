package org.stbguest.agent;

import java.io.IOException;
import java.util.Optional;
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
import org.stbguest.device.api.Slot;

/**
 * The bootloader's loop for one role: boot the slot the {@link SlotPair} picks, commit it when the guest says READY,
 * and when a trial boot fails and its tries are spent, mark it unbootable and boot the fallback. Boot control is
 * saved before every boot and after every verdict, so a power cut at any point resumes the same loop on restart.
 */
final class TrialBoot {

    private static final Logger log = LoggerFactory.getLogger(TrialBoot.class);

    /** Which slot runs after the loop (empty: none could boot) and the last failure seen on the way. */
    record Outcome(Optional<Slot> running, String lastFailure) {
    }

    private final String role;
    private final AgentConfig config;
    private final Hypervisor hypervisor;
    private final SlotStorage storage;
    private final BootControlStore store;

    TrialBoot(String role, AgentConfig config, Hypervisor hypervisor, SlotStorage storage, BootControlStore store) {
        this.role = role;
        this.config = config;
        this.hypervisor = hypervisor;
        this.storage = storage;
        this.store = store;
    }

    /** Boots until a slot runs healthy or nothing bootable is left. The caller holds the role's lock. */
    Outcome run(SlotPair pair) throws IOException, InterruptedException {
        String lastFailure = "nothing bootable";
        // each try of each slot at most once, and a committed slot once more
        for (int attempt = 0; attempt <= 2 * (config.bootTries() + 1); attempt++) {
            var before = pair.snapshot();
            Optional<Slot> boot = pair.selectBootSlot();
            if (!pair.snapshot().equals(before)) { // a try used up, or another slot chosen
                store.save(pair);
            }
            if (boot.isEmpty()) {
                break;
            }
            Slot booted = boot.get();
            SlotState s = pair.slot(booted);
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
                return new Outcome(Optional.of(booted), lastFailure);
            }
            lastFailure = outcome.detail();
            log.warn("event=boot_failed device={} role={} slot={} version={} reason={}", config.deviceId(), role,
                    booted, s.version(), lastFailure);
            if (pair.slot(booted).triesRemaining() == 0) {
                // a committed slot that fails keeps its place (the box has nothing better); a trial slot is done
                if (!pair.slot(booted).successful()) {
                    pair.markUnbootable(booted, lastFailure);
                    store.save(pair);
                } else if (attempt > 0) {
                    break;
                }
            }
        }
        return new Outcome(Optional.empty(), lastFailure);
    }
}
