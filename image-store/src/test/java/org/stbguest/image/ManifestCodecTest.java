package org.stbguest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ManifestCodecTest {

    private final Manifest manifest = TestImages.manifestOf(TestImages.randomBytes(TestImages.CHUNK * 3 + 1, 7));

    @Test
    void roundTripsToAnEqualManifestAndIdenticalBytes() {
        byte[] bytes = ManifestCodec.encode(manifest);
        Manifest decoded = ManifestCodec.decode(bytes);
        assertThat(decoded).isEqualTo(manifest);
        assertThat(ManifestCodec.encode(decoded)).isEqualTo(bytes);
    }

    @Test
    void encodingIsIndependentOfTheOrderModelsWereGivenIn() {
        var a = Manifest.of("security", 1, 0, java.util.Set.of("b", "a", "c"), 0, TestImages.CHUNK, List.of());
        var b = Manifest.of("security", 1, 0, new java.util.LinkedHashSet<>(List.of("c", "a", "b")), 0, TestImages.CHUNK, List.of());
        assertThat(ManifestCodec.encode(a)).isEqualTo(ManifestCodec.encode(b));
    }

    @Test
    void layoutStartsWithMagicAndFormatAndEndsWithRootDigest() {
        byte[] bytes = ManifestCodec.encode(manifest);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        assertThat(buf.getInt()).isEqualTo(ManifestCodec.MAGIC);
        assertThat(buf.get()).isEqualTo((byte) 1);
        assertThat(Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length)).isEqualTo(manifest.rootDigest().bytes());
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] bytes = Arrays.copyOf(ManifestCodec.encode(manifest), ManifestCodec.encode(manifest).length + 1);
        assertMalformed(bytes, "trailing");
    }

    @Test
    void rejectsTruncation() {
        byte[] bytes = ManifestCodec.encode(manifest);
        assertMalformed(Arrays.copyOf(bytes, bytes.length - 1), "truncated");
    }

    @Test
    void rejectsBadMagicAndUnknownFormat() {
        byte[] bytes = ManifestCodec.encode(manifest);
        byte[] badMagic = bytes.clone();
        badMagic[0] = 'X';
        assertMalformed(badMagic, "magic");
        byte[] badFormat = bytes.clone();
        badFormat[4] = 9;
        assertMalformed(badFormat, "format 9");
    }

    @Test
    void rejectsAChunkListThatDoesNotMatchTheRootDigest() {
        byte[] bytes = ManifestCodec.encode(manifest);
        bytes[bytes.length - 40] ^= 1; // inside the last chunk digest
        assertMalformed(bytes, "root digest");
    }

    @Test
    void rejectsUnsortedModels() {
        // hand-build a manifest body with models out of order
        byte[] good = ManifestCodec.encode(Manifest.of("r", 1, 0, java.util.Set.of("a", "b"), 0, TestImages.CHUNK, List.of()));
        byte[] swapped = good.clone();
        int modelsAt = 4 + 1 + 2 + 8 + 4 + 2; // magic, format, "r", version, sv, count
        swapped[modelsAt + 1] = 'b';
        swapped[modelsAt + 3] = 'a';
        assertMalformed(swapped, "sorted");
    }

    @Test
    void randomGarbageIsAlwaysRejectedAsMalformedAndNothingElse() {
        Random random = new Random(42);
        byte[] good = ManifestCodec.encode(manifest);
        for (int i = 0; i < 20_000; i++) {
            byte[] b;
            if (i % 2 == 0) {
                b = new byte[random.nextInt(300)];
                random.nextBytes(b);
            } else {
                b = good.clone();
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
            try {
                Manifest m = ManifestCodec.decode(b);
                assertThat(ManifestCodec.encode(m)).isEqualTo(b);
            } catch (ImageVerificationException e) {
                assertThat(e.reason()).isEqualTo(ImageVerificationException.Reason.MALFORMED_MANIFEST);
            }
        }
    }

    private static void assertMalformed(byte[] bytes, String messagePart) {
        assertThatThrownBy(() -> ManifestCodec.decode(bytes))
                .isInstanceOf(ImageVerificationException.class)
                .hasMessageContaining(messagePart)
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.MALFORMED_MANIFEST);
    }
}
