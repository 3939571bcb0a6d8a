package org.stbguest.image.trust;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.stbguest.image.DetachedSignature;
import org.stbguest.image.Ed25519;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.KeyId;

/**
 * The keys of one role and how many of them must sign: k of n. Keys are kept sorted by key id (the canonical order)
 * and must be distinct.
 */
public record RoleKeys(int threshold, List<PublicKey> keys) {

    /** At most this many keys per role. */
    public static final int MAX_KEYS = 32;

    public RoleKeys {
        if (keys == null || keys.isEmpty() || keys.size() > MAX_KEYS) {
            throw malformed("a role needs 1 to " + MAX_KEYS + " keys");
        }
        if (threshold < 1 || threshold > keys.size()) {
            throw malformed("threshold " + threshold + " must be between 1 and the " + keys.size() + " keys");
        }
        List<PublicKey> sorted = new ArrayList<>(keys);
        sorted.sort(Comparator.comparing(k -> KeyId.of(k).hex()));
        Set<KeyId> ids = new HashSet<>();
        for (PublicKey k : sorted) {
            if (!ids.add(KeyId.of(k))) {
                throw malformed("key " + KeyId.of(k) + " is listed twice");
            }
        }
        keys = List.copyOf(sorted);
    }

    /** Keys by id. */
    public Map<KeyId, PublicKey> byId() {
        Map<KeyId, PublicKey> m = new LinkedHashMap<>();
        for (PublicKey k : keys) {
            m.put(KeyId.of(k), k);
        }
        return m;
    }

    /** Number of distinct keys of this role with a valid signature over {@code message}. */
    public int countValid(byte[] message, List<DetachedSignature> signatures) {
        return validSigners(message, signatures).size();
    }

    /** The distinct keys of this role with a valid signature over {@code message}, in the order they were found. */
    public Set<KeyId> validSigners(byte[] message, List<DetachedSignature> signatures) {
        Map<KeyId, PublicKey> byId = byId();
        Set<KeyId> valid = new java.util.LinkedHashSet<>();
        for (DetachedSignature s : signatures) {
            PublicKey k = byId.get(s.keyId());
            if (k != null && !valid.contains(s.keyId()) && Ed25519.verify(k, message, s.signature())) {
                valid.add(s.keyId());
            }
        }
        return valid;
    }

    /** Whether at least {@code threshold} keys of this role signed {@code message}. */
    public boolean satisfiedBy(byte[] message, List<DetachedSignature> signatures) {
        return countValid(message, signatures) >= threshold;
    }

    private static ImageVerificationException malformed(String message) {
        return new ImageVerificationException(ImageVerificationException.Reason.MALFORMED_METADATA, message);
    }
}
