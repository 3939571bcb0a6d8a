package org.stbguest.image.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.stbguest.image.trust.TrustFixture.NOW;
import static org.stbguest.image.trust.TrustFixture.keySet;
import static org.stbguest.image.trust.TrustFixture.keys;
import static org.stbguest.image.trust.TrustFixture.signers;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.ImageVerificationException.Reason;
import org.stbguest.image.SoftwareSigner;

class KeySetChainTest {

    private final SoftwareSigner[] oldRoot = signers(3);
    private final SoftwareSigner[] newRoot = signers(3);
    private final SoftwareSigner[] release = signers(3);
    private final SoftwareSigner director = SoftwareSigner.generate();
    private final KeySet v1 = keySet(1, keys(2, oldRoot), keys(2, release), keys(1, director));
    private final SignedKeySet signedV1 = SignedKeySet.sign(v1, oldRoot[0], oldRoot[1]);
    private final KeySet v2 = keySet(2, keys(2, newRoot), keys(2, release), keys(1, director));

    @Test
    void encodingRoundTripsAndIsCanonical() {
        byte[] bytes = KeySetCodec.encode(v1);
        assertThat(KeySetCodec.decode(bytes)).isEqualTo(v1);
        assertThat(KeySetCodec.encode(KeySetCodec.decode(bytes))).isEqualTo(bytes);
        // the order keys were given in does not matter
        KeySet reordered = keySet(1, keys(2, oldRoot[2], oldRoot[0], oldRoot[1]), keys(2, release), keys(1, director));
        assertThat(KeySetCodec.encode(reordered)).isEqualTo(bytes);
    }

    @Test
    void anchorNeedsItsOwnRootThreshold() {
        assertThat(KeySetChain.anchor(signedV1)).isEqualTo(v1);
        assertThatThrownBy(() -> KeySetChain.anchor(SignedKeySet.sign(v1, oldRoot[0])))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.INSUFFICIENT_SIGNATURES);
    }

    @Test
    void rotationSignedByThresholdsOfOldAndNewRootIsAccepted() {
        SignedKeySet rotation = SignedKeySet.sign(v2, oldRoot[0], oldRoot[2], newRoot[1], newRoot[2]);
        assertThat(KeySetChain.next(v1, rotation, NOW)).isEqualTo(v2);
    }

    @Test
    void rotationSignedOnlyByTheNewKeysIsRefused() {
        SignedKeySet rotation = SignedKeySet.sign(v2, newRoot);
        assertThatThrownBy(() -> KeySetChain.next(v1, rotation, NOW))
                .isInstanceOf(ImageVerificationException.class)
                .hasMessageContaining("0 signature(s) by the current root keys")
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.INSUFFICIENT_SIGNATURES);
    }

    @Test
    void rotationSignedOnlyByTheOldKeysIsRefused() {
        SignedKeySet rotation = SignedKeySet.sign(v2, oldRoot);
        assertThatThrownBy(() -> KeySetChain.next(v1, rotation, NOW))
                .hasMessageContaining("by its own root keys")
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.INSUFFICIENT_SIGNATURES);
    }

    @Test
    void oneOldKeyIsBelowTheThreshold() {
        SignedKeySet rotation = SignedKeySet.sign(v2, oldRoot[0], newRoot[0], newRoot[1]);
        assertThatThrownBy(() -> KeySetChain.next(v1, rotation, NOW)).hasMessageContaining("1 signature(s) by the current");
    }

    @Test
    void olderOrEqualVersionsAreReplaysAndGapsAreRefused() {
        assertThatThrownBy(() -> KeySetChain.next(v1, signedV1, NOW))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.REPLAYED);
        KeySet v3 = keySet(3, keys(2, newRoot), keys(2, release), keys(1, director));
        assertThatThrownBy(() -> KeySetChain.next(v1, SignedKeySet.sign(v3, oldRoot[0], oldRoot[1], newRoot[0], newRoot[1]), NOW))
                .hasMessageContaining("skips");
    }

    @Test
    void anExpiredKeySetIsRefused() {
        KeySet expired = new KeySet(2, Instant.parse("2026-01-01T00:00:00Z"), keys(2, newRoot), keys(2, release), keys(1, director));
        SignedKeySet rotation = SignedKeySet.sign(expired, oldRoot[0], oldRoot[1], newRoot[0], newRoot[1]);
        assertThatThrownBy(() -> KeySetChain.next(v1, rotation, NOW))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.EXPIRED);
    }

    @Test
    void followsAChainOfRotations() {
        SoftwareSigner[] thirdRoot = signers(1);
        KeySet v3 = keySet(3, keys(1, thirdRoot), keys(2, release), keys(1, director));
        List<SignedKeySet> chain = List.of(signedV1,
                SignedKeySet.sign(v2, oldRoot[0], oldRoot[1], newRoot[0], newRoot[1]),
                SignedKeySet.sign(v3, newRoot[0], newRoot[2], thirdRoot[0]));
        assertThat(KeySetChain.follow(v1, chain, NOW)).isEqualTo(v3);
    }

    @Test
    void aThresholdAboveTheKeyCountIsMalformed() {
        assertThatThrownBy(() -> keys(3, signers(2)))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.MALFORMED_METADATA);
    }
}
