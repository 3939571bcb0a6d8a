package org.stbguest.image;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;

/**
 * A {@link Signer} over an Ed25519 private key held in memory. Its {@code toString} never shows key material.
 */
public final class SoftwareSigner implements Signer {

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final KeyId keyId;

    public SoftwareSigner(KeyPair pair) {
        this.privateKey = pair.getPrivate();
        this.publicKey = pair.getPublic();
        this.keyId = KeyId.of(publicKey);
    }

    /** A signer over a freshly generated key. */
    public static SoftwareSigner generate() {
        return new SoftwareSigner(Ed25519.generate());
    }

    @Override
    public KeyId keyId() {
        return keyId;
    }

    /** The public half, to be trusted by verifiers. */
    public PublicKey publicKey() {
        return publicKey;
    }

    /** PKCS#8 encoding of the private key, for storage encrypted at rest only. */
    public byte[] privateKeyPkcs8() {
        return privateKey.getEncoded();
    }

    @Override
    public byte[] sign(byte[] message) {
        return Ed25519.sign(privateKey, message);
    }

    @Override
    public String toString() {
        return "SoftwareSigner[keyId=" + keyId + "]";
    }
}
