package org.stbguest.image;

import java.security.PublicKey;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a {@link SignedManifest} is trusted: at least {@code threshold} distinct trusted release keys
 * must have signed its canonical bytes. Signatures by unknown keys and invalid signatures count for nothing.
 * Immutable and thread-safe.
 */
public final class ManifestVerifier {

    private final Map<KeyId, PublicKey> trustedKeys;
    private final int threshold;

    public ManifestVerifier(Map<KeyId, PublicKey> trustedKeys, int threshold) {
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold must be at least 1, got " + threshold);
        }
        if (trustedKeys.size() < threshold) {
            throw new IllegalArgumentException("threshold " + threshold + " exceeds the " + trustedKeys.size() + " trusted keys");
        }
        this.trustedKeys = Map.copyOf(trustedKeys);
        this.threshold = threshold;
    }

    /** A verifier trusting exactly one key. */
    public static ManifestVerifier trusting(PublicKey key) {
        return new ManifestVerifier(Map.of(KeyId.of(key), key), 1);
    }

    /**
     * Verifies signatures, then decodes.
     *
     * @return the trusted manifest
     * @throws ImageVerificationException {@code INSUFFICIENT_SIGNATURES} or {@code MALFORMED_MANIFEST}
     */
    public Manifest verify(SignedManifest signed) {
        byte[] bytes = signed.manifestBytes();
        Set<KeyId> valid = new HashSet<>();
        for (DetachedSignature sig : signed.signatures()) {
            PublicKey key = trustedKeys.get(sig.keyId());
            if (key != null && Ed25519.verify(key, bytes, sig.signature())) {
                valid.add(sig.keyId());
            }
        }
        if (valid.size() < threshold) {
            throw new ImageVerificationException(ImageVerificationException.Reason.INSUFFICIENT_SIGNATURES,
                    "manifest has " + valid.size() + " valid signature(s) by trusted release keys, " + threshold
                            + " required (" + signed.signatures().size() + " present)");
        }
        return ManifestCodec.decode(bytes);
    }

    /** Verifies and also checks that the image is meant for this box's role and model. */
    public Manifest verifyFor(SignedManifest signed, String role, String model) {
        Manifest m = verify(signed);
        if (!m.role().equals(role)) {
            throw new ImageVerificationException(ImageVerificationException.Reason.WRONG_ROLE,
                    "image is for role " + m.role() + ", not " + role);
        }
        if (!m.supportsModel(model)) {
            throw new ImageVerificationException(ImageVerificationException.Reason.WRONG_MODEL,
                    "image supports models " + m.hardwareModels() + ", not " + model);
        }
        return m;
    }
}
