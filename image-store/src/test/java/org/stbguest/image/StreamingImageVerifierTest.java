package org.stbguest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingImageVerifierTest {

    private final byte[] image = TestImages.randomBytes(TestImages.CHUNK * 3 + 500, 21);
    private final Manifest manifest = TestImages.manifestOf(image);

    @Test
    void passesTheImageThroughInAnyFeedSizes() throws Exception {
        var out = new ByteArrayOutputStream();
        var v = new StreamingImageVerifier(manifest, (i, data, len) -> out.write(data, 0, len));
        for (int off = 0; off < image.length; off += 777) {
            v.update(image, off, Math.min(777, image.length - off));
        }
        v.finish();
        assertThat(out.toByteArray()).isEqualTo(image);
    }

    @Test
    void rejectsATamperedChunkBeforePassingItOn() throws Exception {
        byte[] tampered = image.clone();
        tampered[TestImages.CHUNK + 10] ^= 0x40;
        List<Integer> passed = new ArrayList<>();
        var v = new StreamingImageVerifier(manifest, (i, data, len) -> passed.add(i));

        assertThatThrownBy(() -> v.update(tampered, 0, tampered.length))
                .isInstanceOf(ImageVerificationException.class)
                .hasMessageContaining("chunk 1")
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.TAMPERED_CHUNK);
        assertThat(passed).containsExactly(0);
    }

    @Test
    void rejectsATruncatedImage() throws Exception {
        var v = new StreamingImageVerifier(manifest, (i, data, len) -> { });
        v.update(image, 0, image.length - 1);
        assertThatThrownBy(v::finish)
                .hasMessageContaining("ended after " + (image.length - 1))
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.TRUNCATED);
    }

    @Test
    void rejectsReorderedChunks() throws Exception {
        byte[] swapped = image.clone();
        System.arraycopy(image, 0, swapped, TestImages.CHUNK, TestImages.CHUNK);
        System.arraycopy(image, TestImages.CHUNK, swapped, 0, TestImages.CHUNK);
        var v = new StreamingImageVerifier(manifest, (i, data, len) -> { });
        assertThatThrownBy(() -> v.update(swapped, 0, swapped.length))
                .hasMessageContaining("chunk 0")
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.TAMPERED_CHUNK);
    }

    @Test
    void rejectsBytesPastTheManifestSize() throws Exception {
        var v = new StreamingImageVerifier(manifest, (i, data, len) -> { });
        v.update(image, 0, image.length);
        assertThatThrownBy(() -> v.update(new byte[1], 0, 1))
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.OVERSIZED);
    }
}
