package org.stbguest.agent.hypervisor;

/**
 * The bootstrap hypervisor as the agent sees it: boot a slot's guest image on trial and say whether the guest
 * reported healthy within its deadline. Backends: a real QEMU one and {@link SimulatedHypervisor}.
 */
public interface Hypervisor {

    /** Boots the guest and waits for its health verdict; blocks for at most the backend's deadline. */
    BootOutcome boot(BootRequest request) throws InterruptedException;

    /** Told when a committed guest stops on its own: its role, image and why. */
    interface CrashListener {
        void crashed(String role, org.stbguest.image.Digest digest, String reason);
    }

    /** Where crashes of committed guests are told (a backend whose guests cannot crash never calls it). */
    default void onCrash(CrashListener listener) {
    }
}
