package org.stbguest.image;

/**
 * Thrown when an image, a chunk or a manifest fails verification. The {@link Reason} is stable and
 * machine-readable (agents report it, the server maps it to a problem type); the message says what was wrong.
 */
public class ImageVerificationException extends RuntimeException {

    /** Why verification failed. */
    public enum Reason {
        /** Bytes do not decode as a manifest of a supported format. */
        MALFORMED_MANIFEST,
        /** Fewer valid signatures by trusted keys than the threshold. */
        INSUFFICIENT_SIGNATURES,
        /** A chunk's SHA-256 differs from the manifest's. */
        TAMPERED_CHUNK,
        /** The image ended before the manifest's size. */
        TRUNCATED,
        /** The image holds more bytes than the manifest's size. */
        OVERSIZED,
        /** The image is not built for this hardware model. */
        WRONG_MODEL,
        /** The image is for another guest role. */
        WRONG_ROLE,
        /** The image's security version is below the box's floor. */
        BELOW_SECURITY_FLOOR,
        /** Bytes do not decode as a key set or director statement. */
        MALFORMED_METADATA,
        /** Signed metadata (key set, statement) is past its expiry on the box's clock. */
        EXPIRED,
        /** A key set or statement no newer than one already accepted: a replay or a stale copy. */
        REPLAYED
    }

    private final Reason reason;

    public ImageVerificationException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ImageVerificationException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
