package org.stbguest.agent.hypervisor;

/**
 * The bootstrap hypervisor as the agent sees it: boot a slot's guest image on trial and say whether the guest
 * reported healthy within its deadline. Backends: a real QEMU one and {@link SimulatedHypervisor}.
 */
public interface Hypervisor {

    /** Boots the guest and waits for its health verdict; blocks for at most the backend's deadline. */
    BootOutcome boot(BootRequest request) throws InterruptedException;
}
