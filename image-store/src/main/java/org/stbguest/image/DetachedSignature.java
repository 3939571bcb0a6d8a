package org.stbguest.image;

import java.util.Base64;

/** One Ed25519 signature over canonical bytes (a manifest, a key set, a director statement), with the id of the key that made it. */
public record DetachedSignature(KeyId keyId, String signatureBase64) {

    public DetachedSignature {
        if (keyId == null) {
            throw new IllegalArgumentException("signature key id is required");
        }
        if (signatureBase64 == null || signatureBase64.isBlank()) {
            throw new IllegalArgumentException("signature value is required");
        }
    }

    /** Wraps raw signature bytes. */
    public static DetachedSignature of(KeyId keyId, byte[] signature) {
        return new DetachedSignature(keyId, Base64.getEncoder().encodeToString(signature));
    }

    /** The raw signature bytes, or an empty array when the base64 is invalid (which then fails verification). */
    public byte[] signature() {
        try {
            return Base64.getDecoder().decode(signatureBase64);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }
}
