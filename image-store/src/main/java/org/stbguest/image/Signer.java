package org.stbguest.image;

/**
 * Something that signs bytes with one private key. The server's release and director keys sit behind this so a
 * hardware security module can replace the software key later without touching callers.
 */
public interface Signer {

    /** Identifier of the public key that verifies this signer's signatures. */
    KeyId keyId();

    /** Signs {@code message} (Ed25519, so the message is signed as is, not pre-hashed). */
    byte[] sign(byte[] message);
}
