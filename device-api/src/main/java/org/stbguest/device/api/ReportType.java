package org.stbguest.device.api;

/** Kinds of event a box reports. */
public enum ReportType {
    /** An image was received, verified and written to the inactive slot. */
    STAGED,
    /** Staging failed (verification, storage, timeout); {@code detail} says why. */
    STAGE_FAILED,
    /** The box booted an image on trial and the guest reported healthy: the slot is committed. */
    ACTIVATED,
    /** A trial boot failed and the box went back to the previous slot. */
    BOOT_FAILED,
    /** The box refused signed metadata (a key set or statement): forged, expired, replayed or malformed. */
    REFUSED
}
