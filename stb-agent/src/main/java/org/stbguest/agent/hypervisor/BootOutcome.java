package org.stbguest.agent.hypervisor;

/** The verdict of a trial boot: healthy, or failed with a short reason (crash, hang, unhealthy, wrong guest). */
public record BootOutcome(boolean healthy, String detail) {

    /** The guest reported healthy. */
    public static BootOutcome ok() {
        return new BootOutcome(true, "healthy");
    }

    /** The guest failed. */
    public static BootOutcome failed(String why) {
        return new BootOutcome(false, why);
    }
}
