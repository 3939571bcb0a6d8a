package org.stbguest.image.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.stbguest.image.trust.TrustFixture.NOW;
import static org.stbguest.image.trust.TrustFixture.keySet;
import static org.stbguest.image.trust.TrustFixture.keys;
import static org.stbguest.image.trust.TrustFixture.signers;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.ImageVerificationException.Reason;
import org.stbguest.image.Manifest;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.SoftwareSigner;

class BoxTrustTest {

    private final SoftwareSigner[] root = signers(3);
    private final SoftwareSigner[] release = signers(3);
    private final SoftwareSigner director = SoftwareSigner.generate();
    private final SoftwareSigner stranger = SoftwareSigner.generate();
    private final KeySet v1 = keySet(1, keys(2, root), keys(2, release), keys(1, director));
    private final AtomicReference<Instant> now = new AtomicReference<>(NOW);
    private final InstantSource clock = now::get;
    private final BoxTrust box = BoxTrust.pinned(SignedKeySet.sign(v1, root), clock);

    private static Manifest manifest(long version, long securityVersion) {
        return Manifest.of("entertainment", version, securityVersion, Set.of("stb-x1"), 1, Manifest.MIN_CHUNK_SIZE,
                List.of(Digest.sha256(new byte[] {(byte) version})));
    }

    private SignedStatement statement(long seq, Statement s, SoftwareSigner... by) {
        return SignedStatement.sign(new SignedStatement.Envelope(seq, NOW.plus(Duration.ofDays(7)), s), by);
    }

    @Test
    void acceptsAManifestSignedByTheReleaseThreshold() {
        Manifest m = manifest(2, 1);
        assertThat(box.verifyManifest(SignedManifest.sign(m, release[0], release[2]), "entertainment", "stb-x1", 0))
                .isEqualTo(m);
    }

    @Test
    void refusesAManifestWithFewerSignaturesThanTheThreshold() {
        assertThatThrownBy(() -> box.verifyManifest(SignedManifest.sign(manifest(2, 1), release[0]), "entertainment", "stb-x1", 0))
                .hasMessageContaining("1 valid signature(s)")
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.INSUFFICIENT_SIGNATURES);
    }

    @Test
    void refusesSignaturesByUnknownKeysAndByKeysRevokedInARotation() {
        assertThatThrownBy(() -> box.verifyManifest(SignedManifest.sign(manifest(2, 1), release[0], stranger),
                "entertainment", "stb-x1", 0)).extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(Reason.INSUFFICIENT_SIGNATURES);

        // v2 revokes release[0] and adds a new release key
        SoftwareSigner replacement = SoftwareSigner.generate();
        KeySet v2 = keySet(2, keys(2, root), keys(2, release[1], release[2], replacement), keys(1, director));
        box.update(List.of(SignedKeySet.sign(v2, root[0], root[1])));
        assertThat(box.keySet().version()).isEqualTo(2);
        assertThatThrownBy(() -> box.verifyManifest(SignedManifest.sign(manifest(2, 1), release[0], release[1]),
                "entertainment", "stb-x1", 0)).extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(Reason.INSUFFICIENT_SIGNATURES);
        assertThat(box.verifyManifest(SignedManifest.sign(manifest(2, 1), replacement, release[1]),
                "entertainment", "stb-x1", 0).version()).isEqualTo(2);
    }

    @Test
    void refusesAWrongModelAndADowngradeBelowTheFloor() {
        SignedManifest m = SignedManifest.sign(manifest(2, 3), release);
        assertThatThrownBy(() -> box.verifyManifest(m, "entertainment", "stb-z9", 0))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.WRONG_MODEL);
        assertThatThrownBy(() -> box.verifyManifest(m, "entertainment", "stb-x1", 4))
                .hasMessageContaining("below this box's floor 4")
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.BELOW_SECURITY_FLOOR);
    }

    @Test
    void anExpiredKeySetFreezesNothingIn() {
        now.set(TrustFixture.NEXT_YEAR.plusSeconds(1));
        assertThatThrownBy(() -> box.verifyManifest(SignedManifest.sign(manifest(2, 1), release), "entertainment", "stb-x1", 0))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.EXPIRED);
    }

    @Test
    void acceptsADirectorStatementOnceAndRefusesAnOlderReplay() {
        var rollback = statement(5, new Statement.Activate("entertainment", Digest.sha256(new byte[] {1})), director);
        var newer = statement(6, new Statement.Activate("entertainment", Digest.sha256(new byte[] {2})), director);

        assertThat(box.accept(rollback)).containsInstanceOf(Statement.Activate.class);
        assertThat(box.accept(rollback)).as("the same statement again is not news").isEmpty();
        assertThat(box.accept(newer)).isPresent();
        assertThatThrownBy(() -> box.accept(rollback))
                .hasMessageContaining("#5 is not newer than #6")
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.REPLAYED);
    }

    @Test
    void sequencesAreTrackedPerStream() {
        assertThat(box.accept(statement(9, new Statement.Finalize("entertainment", 2), director))).isPresent();
        assertThat(box.accept(statement(3, new Statement.Activate("entertainment", Digest.sha256(new byte[] {1})), director)))
                .isPresent();
        assertThat(box.accept(statement(4, new Statement.Finalize("security", 1), director))).isPresent();
    }

    @Test
    void refusesAForgedStatementAndAnExpiredOne() {
        var forged = statement(7, new Statement.Activate("entertainment", Digest.sha256(new byte[] {1})), stranger);
        assertThatThrownBy(() -> box.accept(forged))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.INSUFFICIENT_SIGNATURES);
        var byRelease = statement(7, new Statement.Finalize("entertainment", 9), release);
        assertThatThrownBy(() -> box.accept(byRelease)).as("release keys cannot speak as the director")
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.INSUFFICIENT_SIGNATURES);

        var expiring = SignedStatement.sign(new SignedStatement.Envelope(8, NOW.plusSeconds(60),
                new Statement.Finalize("entertainment", 1)), director);
        now.set(NOW.plusSeconds(61));
        assertThatThrownBy(() -> box.accept(expiring))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.EXPIRED);
    }

    @Test
    void replayProtectionSurvivesARestart() {
        var s = statement(5, new Statement.Activate("entertainment", Digest.sha256(new byte[] {1})), director);
        var older = statement(4, new Statement.Activate("entertainment", Digest.sha256(new byte[] {3})), director);
        box.accept(s);
        BoxTrust restarted = BoxTrust.restore(box.state(), clock);
        assertThatThrownBy(() -> restarted.accept(older))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.REPLAYED);
    }

    @Test
    void aRotationSignedOnlyByNewKeysLeavesTheBoxOnItsCurrentKeys() {
        SoftwareSigner[] attacker = signers(2);
        KeySet evil = keySet(2, keys(2, attacker), keys(1, attacker[0]), keys(1, attacker[1]));
        assertThatThrownBy(() -> box.update(List.of(SignedKeySet.sign(evil, attacker))))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.INSUFFICIENT_SIGNATURES);
        assertThat(box.keySet()).isEqualTo(v1);
    }

    @Test
    void aReplayedOlderAnnouncementIsRefusedAndLeavesTheSequenceAlone() {
        var older = statement(10, new Statement.Announce(1, Digest.sha256(new byte[] {1}), "239.255.42.2", 42001, 100, 1400), director);
        var newer = statement(11, new Statement.Announce(1, Digest.sha256(new byte[] {1}), "239.255.42.2", 42001, 100, 1400), director);
        assertThat(box.accept(older)).isPresent();
        assertThat(box.accept(newer)).isPresent();
        assertThatThrownBy(() -> box.accept(older))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.REPLAYED);
        assertThat(box.lastSequence("ANNOUNCE:announce:1")).isEqualTo(11L);
    }

    @Test
    void aForgedStatementLeavesNoTrace() {
        var forged = statement(50, new Statement.Finalize("entertainment", 99), stranger);
        assertThatThrownBy(() -> box.accept(forged)).isInstanceOf(ImageVerificationException.class);
        assertThat(box.state().sequences()).isEmpty();
        // a genuine statement with a lower number is still accepted afterwards
        assertThat(box.accept(statement(2, new Statement.Finalize("entertainment", 1), director))).isPresent();
    }

    @Test
    void anAnnouncementOfANonMulticastGroupIsMalformed() {
        assertThatThrownBy(() -> new Statement.Announce(1, Digest.sha256(new byte[] {1}), "10.0.0.1", 42001, 100, 1400))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.MALFORMED_METADATA);
    }

    @Test
    void aStolenDirectorKeyThatFastForwardedItsSequenceBlocksNothingOnceRotatedAway() {
        var genuineOld = statement(40, new Statement.Activate("entertainment", Digest.sha256(new byte[] {1})), director);
        assertThat(box.accept(genuineOld)).isPresent();
        // the thief signs with the largest possible number: every later statement of the old key is a "replay"
        var fastForward = statement(Long.MAX_VALUE,
                new Statement.Activate("entertainment", Digest.sha256(new byte[] {66})), director);
        var thiefFinalize = statement(Long.MAX_VALUE, new Statement.Finalize("entertainment", 0xFFFFFFFFL), director);
        assertThat(box.accept(fastForward)).isPresent();
        assertThat(box.accept(thiefFinalize)).isPresent();
        assertThatThrownBy(() -> box.accept(statement(41, new Statement.Activate("entertainment",
                Digest.sha256(new byte[] {2})), director)))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.REPLAYED);

        // the root keys rotate the director key away
        SoftwareSigner newDirector = SoftwareSigner.generate();
        KeySet v2 = keySet(2, keys(2, root), keys(2, release), keys(1, newDirector));
        box.update(List.of(SignedKeySet.sign(v2, root[0], root[1])));

        var fresh = statement(42, new Statement.Activate("entertainment", Digest.sha256(new byte[] {3})), newDirector);
        assertThat(box.accept(fresh)).as("the new key's statements work").isPresent();
        assertThat(box.accept(statement(43, new Statement.Finalize("entertainment", 2), newDirector))).isPresent();
        assertThat(box.accept(statement(44, new Statement.Activate("entertainment", Digest.sha256(new byte[] {4})),
                newDirector))).isPresent();

        // replays of either key's old statements still fail
        assertThatThrownBy(() -> box.accept(fresh)).as("the new key's own replay")
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.REPLAYED);
        for (var old : List.of(genuineOld, fastForward, thiefFinalize)) {
            assertThatThrownBy(() -> box.accept(old)).as("the old key no longer counts")
                    .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.INSUFFICIENT_SIGNATURES);
        }
        // and all of it survives a restart
        BoxTrust restarted = BoxTrust.restore(box.state(), clock);
        assertThatThrownBy(() -> restarted.accept(fresh))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.REPLAYED);
        assertThat(restarted.accept(statement(45, new Statement.Activate("entertainment",
                Digest.sha256(new byte[] {5})), newDirector))).isPresent();
    }

    @Test
    void aStatementSignedByTwoDirectorKeysMustBeNewForEach() {
        SoftwareSigner second = SoftwareSigner.generate();
        KeySet v2 = keySet(2, keys(2, root), keys(2, release), keys(1, director, second));
        box.update(List.of(SignedKeySet.sign(v2, root[0], root[1])));
        assertThat(box.accept(statement(10, new Statement.Finalize("entertainment", 1), director, second))).isPresent();
        // a statement of the second key alone with a lower number replays the second key's scope
        assertThatThrownBy(() -> box.accept(statement(9, new Statement.Finalize("entertainment", 0), second)))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.REPLAYED);
        assertThat(box.accept(statement(11, new Statement.Finalize("entertainment", 2), second))).isPresent();
    }

    @Test
    void stateFromBeforeKeyScopedSequencesStillRefusesReplays() {
        var legacy = new BoxTrust.State(SignedKeySet.sign(v1, root),
                java.util.Map.of("ACTIVATE:role:entertainment", 30L), java.util.Map.of());
        BoxTrust restored = BoxTrust.restore(legacy, clock);
        assertThatThrownBy(() -> restored.accept(statement(29, new Statement.Activate("entertainment",
                Digest.sha256(new byte[] {1})), director)))
                .extracting(e -> ((ImageVerificationException) e).reason()).isEqualTo(Reason.REPLAYED);
        assertThat(restored.accept(statement(31, new Statement.Activate("entertainment",
                Digest.sha256(new byte[] {1})), director))).isPresent();
    }

    @Test
    void announcementStreamsAreBoundedPerKey() {
        for (int t = 1; t <= BoxTrust.MAX_ANNOUNCE_STREAMS + 50; t++) {
            box.accept(statement(t, new Statement.Announce(t, Digest.sha256(new byte[] {1}), "239.255.42.2", 42001,
                    100, 1400), director));
        }
        assertThat(box.state().sequences()).hasSize(BoxTrust.MAX_ANNOUNCE_STREAMS);
        assertThat(box.lastSequence("ANNOUNCE:announce:" + (BoxTrust.MAX_ANNOUNCE_STREAMS + 50)))
                .isEqualTo(BoxTrust.MAX_ANNOUNCE_STREAMS + 50L);
    }

    @Test
    void aCohortTakesAStableShareOfBoxesAndALaterWaveContainsTheEarlierOne() {
        var wave1 = new Statement.Cohort(42, Statement.Cohort.ALL / 10);
        var wave2 = new Statement.Cohort(42, Statement.Cohort.ALL / 2);
        int in1 = 0;
        int in2 = 0;
        var random = new java.util.Random(1);
        for (int i = 0; i < 20_000; i++) {
            var device = new java.util.UUID(random.nextLong(), random.nextLong());
            boolean a = wave1.includes(device);
            boolean b = wave2.includes(device);
            assertThat(!a || b).as("wave 2 contains wave 1").isTrue();
            assertThat(wave1.includes(device)).as("stable").isEqualTo(a);
            in1 += a ? 1 : 0;
            in2 += b ? 1 : 0;
        }
        assertThat(in1).isBetween(1_800, 2_200);
        assertThat(in2).isBetween(9_600, 10_400);
        assertThat(new Statement.Cohort(42, Statement.Cohort.ALL).includes(java.util.UUID.randomUUID())).isTrue();
        assertThat(new Statement.Cohort(42, 0).includes(java.util.UUID.randomUUID())).isFalse();
    }

    @Test
    void anActivationForACohortRoundTripsAndNamesItsBoxes() {
        var device = java.util.UUID.randomUUID();
        long rank = Statement.Cohort.rank(9, device);
        var in = new Statement.Activate("entertainment", Digest.sha256(new byte[] {1}), new Statement.Cohort(9, rank + 1));
        var out = new Statement.Activate("entertainment", Digest.sha256(new byte[] {1}), new Statement.Cohort(9, rank));
        var env = new SignedStatement.Envelope(3, NOW.plus(Duration.ofDays(1)), in);
        assertThat(StatementCodec.decode(StatementCodec.encode(env))).isEqualTo(env);
        assertThat(StatementCodec.encode(env)[4]).as("format 2").isEqualTo((byte) 2);
        assertThat(in.includes(device)).isTrue();
        assertThat(out.includes(device)).isFalse();
        var everyone = new SignedStatement.Envelope(3, NOW.plus(Duration.ofDays(1)),
                new Statement.Activate("entertainment", Digest.sha256(new byte[] {1})));
        assertThat(StatementCodec.encode(everyone)[4]).as("format 1, as before").isEqualTo((byte) 1);
    }
}
