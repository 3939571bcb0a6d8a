package org.stbguest.image.trust;

import java.time.Instant;
import java.util.List;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.ImageVerificationException.Reason;

/**
 * The rules of key rotation. A box starts from a pinned key set (its trust anchor, signed by a threshold of its own
 * root keys) and accepts key set N+1 only when a threshold of N's root keys <em>and</em> a threshold of N+1's root
 * keys signed it, so a stolen set of new keys alone cannot take over, and neither can old keys alone.
 */
public final class KeySetChain {

    private KeySetChain() {
    }

    /** Accepts a pinned key set: it must be signed by a threshold of its own root keys. */
    public static KeySet anchor(SignedKeySet pinned) {
        KeySet k = pinned.unverified();
        int valid = k.root().countValid(pinned.bytes(), pinned.signatures());
        if (valid < k.root().threshold()) {
            throw new ImageVerificationException(Reason.INSUFFICIENT_SIGNATURES, "pinned key set v" + k.version()
                    + " has " + valid + " valid root signature(s), " + k.root().threshold() + " required");
        }
        return k;
    }

    /** Verifies the next key set after {@code current}. */
    public static KeySet next(KeySet current, SignedKeySet candidate, Instant now) {
        KeySet next = candidate.unverified();
        if (next.version() <= current.version()) {
            throw new ImageVerificationException(Reason.REPLAYED, "key set v" + next.version()
                    + " is not newer than the trusted v" + current.version());
        }
        if (next.version() != current.version() + 1) {
            throw new ImageVerificationException(Reason.MALFORMED_METADATA, "key set v" + next.version()
                    + " skips versions after the trusted v" + current.version());
        }
        byte[] bytes = candidate.bytes();
        int byOld = current.root().countValid(bytes, candidate.signatures());
        if (byOld < current.root().threshold()) {
            throw new ImageVerificationException(Reason.INSUFFICIENT_SIGNATURES, "key set v" + next.version() + " has "
                    + byOld + " signature(s) by the current root keys, " + current.root().threshold() + " required");
        }
        int byNew = next.root().countValid(bytes, candidate.signatures());
        if (byNew < next.root().threshold()) {
            throw new ImageVerificationException(Reason.INSUFFICIENT_SIGNATURES, "key set v" + next.version() + " has "
                    + byNew + " signature(s) by its own root keys, " + next.root().threshold() + " required");
        }
        if (next.expiredAt(now)) {
            throw new ImageVerificationException(Reason.EXPIRED, "key set v" + next.version() + " expired at "
                    + next.expires());
        }
        return next;
    }

    /** Follows a chain of rotations from {@code current}; key sets no newer than the current one are skipped. */
    public static KeySet follow(KeySet current, List<SignedKeySet> chain, Instant now) {
        KeySet k = current;
        for (SignedKeySet s : chain) {
            if (s.unverified().version() <= k.version()) {
                continue;
            }
            k = next(k, s, now);
        }
        return k;
    }
}
