package org.stbguest.image.trust;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.ImageVerificationException.Reason;
import org.stbguest.image.Manifest;
import org.stbguest.image.ManifestCodec;
import org.stbguest.image.SoftwareSigner;

/**
 * Fuzzes every decoder of signed metadata with random bytes and with mutations of valid encodings: the only outcomes
 * allowed are a value that re-encodes to the same bytes, or the documented rejection. Never another exception.
 */
class MetadataFuzzTest {

    private static final byte[] MANIFEST = ManifestCodec.encode(Manifest.of("entertainment", 3, 2, Set.of("stb-x1", "stb-x2"),
            Manifest.MIN_CHUNK_SIZE * 2L + 5, Manifest.MIN_CHUNK_SIZE,
            List.of(Digest.sha256(new byte[] {1}), Digest.sha256(new byte[] {2}), Digest.sha256(new byte[] {3}))));
    private static final byte[] KEY_SET;
    private static final byte[] ANNOUNCE = StatementCodec.encode(new SignedStatement.Envelope(7,
            Instant.parse("2027-01-01T00:00:00Z"),
            new Statement.Announce(42, Digest.sha256(new byte[] {9}), "239.255.42.2", 42001, 123456, 1400)));
    private static final byte[] ACTIVATE = StatementCodec.encode(new SignedStatement.Envelope(8,
            Instant.parse("2027-01-01T00:00:00Z"), new Statement.Activate("entertainment", Digest.sha256(new byte[] {4}))));
    private static final byte[] ACTIVATE_COHORT = StatementCodec.encode(new SignedStatement.Envelope(9,
            Instant.parse("2027-01-01T00:00:00Z"), new Statement.Activate("entertainment", Digest.sha256(new byte[] {5}),
                    new Statement.Cohort(77, 1L << 30))));

    static {
        SoftwareSigner[] s = TrustFixture.signers(3);
        KEY_SET = KeySetCodec.encode(TrustFixture.keySet(4, TrustFixture.keys(2, s), TrustFixture.keys(1, s[0]),
                TrustFixture.keys(1, s[1])));
    }

    @Property(tries = 5000)
    void randomBytesNeverEscapeTheDocumentedRejection(@ForAll @Size(max = 400) byte[] bytes) {
        check(bytes, ManifestCodec::decode, ManifestCodec::encode, Reason.MALFORMED_MANIFEST);
        check(bytes, KeySetCodec::decode, KeySetCodec::encode, Reason.MALFORMED_METADATA);
        check(bytes, StatementCodec::decode, StatementCodec::encode, Reason.MALFORMED_METADATA);
    }

    @Property(tries = 5000)
    void mutatedManifestsAreValidOrRejected(@ForAll("mutations") Mutation m) {
        check(m.apply(MANIFEST), ManifestCodec::decode, ManifestCodec::encode, Reason.MALFORMED_MANIFEST);
    }

    @Property(tries = 3000)
    void mutatedKeySetsAreValidOrRejected(@ForAll("mutations") Mutation m) {
        check(m.apply(KEY_SET), KeySetCodec::decode, KeySetCodec::encode, Reason.MALFORMED_METADATA);
    }

    @Property(tries = 5000)
    void mutatedAnnouncementsAndDirectivesAreValidOrRejected(@ForAll("mutations") Mutation m) {
        check(m.apply(ANNOUNCE), StatementCodec::decode, StatementCodec::encode, Reason.MALFORMED_METADATA);
        check(m.apply(ACTIVATE), StatementCodec::decode, StatementCodec::encode, Reason.MALFORMED_METADATA);
        check(m.apply(ACTIVATE_COHORT), StatementCodec::decode, StatementCodec::encode, Reason.MALFORMED_METADATA);
    }

    /** Flips, overwrites, truncates or extends a valid encoding. */
    record Mutation(int kind, int position, int value, int length) {
        byte[] apply(byte[] original) {
            byte[] b = original.clone();
            int pos = Math.floorMod(position, b.length);
            return switch (kind) {
                case 0 -> {
                    b[pos] ^= (byte) (1 << (value & 7));
                    yield b;
                }
                case 1 -> {
                    b[pos] = (byte) value;
                    yield b;
                }
                case 2 -> java.util.Arrays.copyOf(b, pos);
                default -> java.util.Arrays.copyOf(b, b.length + 1 + Math.floorMod(length, 16));
            };
        }
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        return net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers(),
                Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 15)).as(Mutation::new);
    }

    private static <T> void check(byte[] bytes, Function<byte[], T> decode, Function<T, byte[]> encode, Reason expected) {
        T value;
        try {
            value = decode.apply(bytes);
        } catch (ImageVerificationException e) {
            assertThat(e.reason()).isEqualTo(expected);
            return;
        }
        assertThat(encode.apply(value)).isEqualTo(bytes);
    }
}
