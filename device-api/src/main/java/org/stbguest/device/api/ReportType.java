package org.stbguest.device.api;

/** Kinds of event a box reports. */
public enum ReportType {
    /** An image was received, verified and written to the inactive slot. */
    STAGED,
    /** Staging failed (verification, storage, timeout); {@code detail} says why. */
    STAGE_FAILED,
    /** The box booted an image on trial and the guest reported healthy: the slot is committed. */
    ACTIVATED,
    /** A trial boot failed and the box fell back to the previous slot; {@code detail} says why. */
    BOOT_FAILED,
    /**
     * A signed rollback (an activation of an older image the box held) was carried out: the box runs {@code digest}
     * again from its other slot.
     */
    ROLLED_BACK,
    /** A committed guest crashed or stopped answering its health check while running {@code digest}. */
    CRASHED,
    /** The box refused signed metadata (a key set or statement): forged, expired, replayed or malformed. */
    REFUSED
}
