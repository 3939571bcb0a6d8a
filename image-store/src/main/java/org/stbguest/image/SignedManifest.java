package org.stbguest.image;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A manifest as it travels: its canonical bytes (base64) and the signatures over them. Nothing trusts
 * {@link #unverifiedManifest()}; a {@link ManifestVerifier} turns this into a trusted {@link Manifest}.
 */
public record SignedManifest(String manifestBase64, List<DetachedSignature> signatures) {

    public SignedManifest {
        if (manifestBase64 == null || manifestBase64.isBlank()) {
            throw new IllegalArgumentException("manifest bytes are required");
        }
        signatures = signatures == null ? List.of() : List.copyOf(signatures);
    }

    /** Signs a manifest with each of the given signers. */
    public static SignedManifest sign(Manifest manifest, Signer... signers) {
        byte[] bytes = ManifestCodec.encode(manifest);
        List<DetachedSignature> sigs = new ArrayList<>();
        for (Signer s : signers) {
            sigs.add(DetachedSignature.of(s.keyId(), s.sign(bytes)));
        }
        return new SignedManifest(Base64.getEncoder().encodeToString(bytes), sigs);
    }

    /** This signed manifest with one more signature (offline signing adds them one at a time). */
    public SignedManifest withSignature(DetachedSignature signature) {
        List<DetachedSignature> sigs = new ArrayList<>(signatures);
        sigs.add(signature);
        return new SignedManifest(manifestBase64, sigs);
    }

    /** The canonical bytes that signatures cover. */
    public byte[] manifestBytes() {
        try {
            return Base64.getDecoder().decode(manifestBase64);
        } catch (IllegalArgumentException e) {
            throw new ImageVerificationException(ImageVerificationException.Reason.MALFORMED_MANIFEST,
                    "manifest is not valid base64");
        }
    }

    /** Decodes the manifest without checking any signature: for display only. */
    public Manifest unverifiedManifest() {
        return ManifestCodec.decode(manifestBytes());
    }
}
