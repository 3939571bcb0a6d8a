package org.stbguest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestVerifierTest {

    private final SoftwareSigner release = SoftwareSigner.generate();
    private final SoftwareSigner stranger = SoftwareSigner.generate();
    private final Manifest manifest = TestImages.manifestOf(TestImages.randomBytes(TestImages.CHUNK * 2, 11));
    private final ManifestVerifier verifier = ManifestVerifier.trusting(release.publicKey());

    @Test
    void acceptsAManifestSignedByTheTrustedReleaseKey() {
        SignedManifest signed = SignedManifest.sign(manifest, release);
        assertThat(verifier.verify(signed)).isEqualTo(manifest);
    }

    @Test
    void rejectsASignatureByTheWrongKey() {
        SignedManifest signed = SignedManifest.sign(manifest, stranger);
        assertThatThrownBy(() -> verifier.verify(signed))
                .isInstanceOf(ImageVerificationException.class)
                .hasMessageContaining("0 valid signature(s)")
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.INSUFFICIENT_SIGNATURES);
    }

    @Test
    void rejectsAWrongKeySignatureThatClaimsTheTrustedKeyId() {
        SignedManifest forged = SignedManifest.sign(manifest, stranger);
        var sig = forged.signatures().get(0);
        SignedManifest claimingTrusted = new SignedManifest(forged.manifestBase64(),
                List.of(new DetachedSignature(release.keyId(), sig.signatureBase64())));
        assertThatThrownBy(() -> verifier.verify(claimingTrusted))
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.INSUFFICIENT_SIGNATURES);
    }

    @Test
    void rejectsAnUnsignedManifest() {
        SignedManifest unsigned = SignedManifest.sign(manifest);
        assertThatThrownBy(() -> verifier.verify(unsigned))
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.INSUFFICIENT_SIGNATURES);
    }

    @Test
    void rejectsAManifestAlteredAfterSigning() {
        SignedManifest signed = SignedManifest.sign(manifest, release);
        Manifest other = Manifest.of(manifest.role(), manifest.version() + 1, manifest.securityVersion(),
                java.util.Set.copyOf(manifest.hardwareModels()), manifest.size(), manifest.chunkSize(), manifest.chunkDigests());
        SignedManifest altered = new SignedManifest(
                Base64.getEncoder().encodeToString(ManifestCodec.encode(other)), signed.signatures());
        assertThatThrownBy(() -> verifier.verify(altered))
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.INSUFFICIENT_SIGNATURES);
    }

    @Test
    void thresholdCountsDistinctTrustedKeysOnly() {
        SoftwareSigner second = SoftwareSigner.generate();
        var twoOfTwo = new ManifestVerifier(Map.of(release.keyId(), release.publicKey(),
                second.keyId(), second.publicKey()), 2);
        SignedManifest once = SignedManifest.sign(manifest, release);
        SignedManifest sameKeyTwice = once.withSignature(once.signatures().get(0));

        assertThatThrownBy(() -> twoOfTwo.verify(sameKeyTwice)).hasMessageContaining("1 valid signature(s)");
        assertThat(twoOfTwo.verify(SignedManifest.sign(manifest, release, second))).isEqualTo(manifest);
    }

    @Test
    void checksRoleAndHardwareModel() {
        SignedManifest signed = SignedManifest.sign(manifest, release);
        assertThat(verifier.verifyFor(signed, "entertainment", "stb-x1")).isEqualTo(manifest);
        assertThatThrownBy(() -> verifier.verifyFor(signed, "entertainment", "stb-z9"))
                .hasMessageContaining("not stb-z9")
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.WRONG_MODEL);
        assertThatThrownBy(() -> verifier.verifyFor(signed, "security", "stb-x1"))
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.WRONG_ROLE);
    }

    @Test
    void signerToStringShowsNoKeyMaterial() {
        String base64Key = Base64.getEncoder().encodeToString(release.privateKeyPkcs8());
        assertThat(release.toString()).doesNotContain(base64Key).contains(release.keyId().hex());
    }
}
