package org.stbguest.image.trust;

import java.time.Instant;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.ManifestVerifier;

/**
 * Which keys are trusted for what, TUF-style: root keys sign key sets, release keys sign manifests, director keys
 * sign statements. Versions increase by one with every rotation; a key set expires, so a box that stops hearing
 * from its operator cannot be frozen on old metadata forever.
 */
public record KeySet(long version, Instant expires, RoleKeys root, RoleKeys release, RoleKeys director) {

    public KeySet {
        if (version < 1) {
            throw new ImageVerificationException(ImageVerificationException.Reason.MALFORMED_METADATA,
                    "key set version must be >= 1, got " + version);
        }
        if (expires == null || root == null || release == null || director == null) {
            throw new ImageVerificationException(ImageVerificationException.Reason.MALFORMED_METADATA,
                    "a key set needs an expiry and root, release and director keys");
        }
        if (expires.getEpochSecond() < 0 || expires.getEpochSecond() > Bytes.MAX_EPOCH_SECOND) {
            throw Bytes.malformed("key set expiry must be within 1970..9999");
        }
        expires = Instant.ofEpochSecond(expires.getEpochSecond());
    }

    /** The keys of one role. */
    public RoleKeys keys(TrustRole role) {
        return switch (role) {
            case ROOT -> root;
            case RELEASE -> release;
            case DIRECTOR -> director;
        };
    }

    /** A manifest verifier for this key set's release keys and threshold. */
    public ManifestVerifier manifestVerifier() {
        return new ManifestVerifier(release.byId(), release.threshold());
    }

    /** Whether this key set has expired at {@code now}. */
    public boolean expiredAt(Instant now) {
        return !now.isBefore(expires);
    }
}
