package org.stbguest.image;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.security.PublicKey;

/**
 * Names an Ed25519 public key: the first 16 bytes of SHA-256 over its raw 32-byte form, as 32 hex characters.
 * Stable across encodings of the same key.
 */
public record KeyId(@JsonValue String hex) {

    public KeyId {
        if (hex == null || !hex.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("key id must be 32 lowercase hex characters, got: " + hex);
        }
    }

    /** The id of an Ed25519 public key. */
    public static KeyId of(PublicKey key) {
        byte[] raw = Ed25519.rawPublicKey(key);
        return new KeyId(Digest.sha256(raw).hex().substring(0, 32));
    }

    /** Parses a key id from hex. */
    @JsonCreator
    public static KeyId parse(String hex) {
        return new KeyId(hex);
    }

    @Override
    public String toString() {
        return hex;
    }
}
