package org.stbguest.agent.hypervisor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.stbguest.image.Digest;

/**
 * An in-process, deterministic hypervisor for simulated fleets: every image boots healthy unless the scenario
 * says it fails. Instant, so tens of thousands of boxes fit in one JVM.
 */
public final class SimulatedHypervisor implements Hypervisor {

    private final Map<Digest, String> failures = new ConcurrentHashMap<>();
    private final java.time.Duration bootTime;

    /** Guests that are ready at once. */
    public SimulatedHypervisor() {
        this(java.time.Duration.ZERO);
    }

    /** Guests that take {@code bootTime} to say they are ready (a single box run as a process, in tests). */
    public SimulatedHypervisor(java.time.Duration bootTime) {
        this.bootTime = bootTime;
    }

    /** Makes every boot of this image fail with the given reason. */
    public SimulatedHypervisor failing(Digest image, String reason) {
        failures.put(image, reason);
        return this;
    }

    @Override
    public BootOutcome boot(BootRequest request) {
        if (!bootTime.isZero()) {
            java.util.concurrent.locks.LockSupport.parkNanos(bootTime.toNanos()); // the guest boots
        }
        String failure = failures.get(request.digest());
        return failure == null ? BootOutcome.ok() : BootOutcome.failed(failure);
    }
}
