package org.stbguest.image.trust;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.stbguest.image.DetachedSignature;
import org.stbguest.image.Signer;

/** A key set as it travels: canonical bytes (base64) and root-key signatures over them. */
public record SignedKeySet(String keySetBase64, List<DetachedSignature> signatures) {

    public SignedKeySet {
        if (keySetBase64 == null || keySetBase64.isBlank()) {
            throw new IllegalArgumentException("key set bytes are required");
        }
        signatures = signatures == null ? List.of() : List.copyOf(signatures);
    }

    /** Signs a key set with each signer (for a rotation: the old root keys and the new ones). */
    public static SignedKeySet sign(KeySet keySet, Signer... signers) {
        byte[] bytes = KeySetCodec.encode(keySet);
        List<DetachedSignature> sigs = new ArrayList<>();
        for (Signer s : signers) {
            sigs.add(DetachedSignature.of(s.keyId(), s.sign(bytes)));
        }
        return new SignedKeySet(Base64.getEncoder().encodeToString(bytes), sigs);
    }

    /** This key set with one more signature. */
    public SignedKeySet withSignature(DetachedSignature signature) {
        List<DetachedSignature> sigs = new ArrayList<>(signatures);
        sigs.add(signature);
        return new SignedKeySet(keySetBase64, sigs);
    }

    public byte[] bytes() {
        try {
            return Base64.getDecoder().decode(keySetBase64);
        } catch (IllegalArgumentException e) {
            throw Bytes.malformed("key set is not valid base64");
        }
    }

    /** Decodes without checking signatures: for display and for building a rotation. */
    public KeySet unverified() {
        return KeySetCodec.decode(bytes());
    }
}
