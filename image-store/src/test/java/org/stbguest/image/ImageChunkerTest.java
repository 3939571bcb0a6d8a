package org.stbguest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageChunkerTest {

    private static final ImageChunker.ImageInfo INFO =
            new ImageChunker.ImageInfo("entertainment", 3, 1, Set.of("stb-x1"), TestImages.CHUNK);

    @Test
    void cutsIntoFixedSizeChunksWithAShorterLastChunk() throws Exception {
        byte[] image = TestImages.randomBytes(TestImages.CHUNK * 3 + 100, 1);
        List<Integer> lengths = new ArrayList<>();
        List<Digest> seen = new ArrayList<>();

        Manifest m = ImageChunker.chunk(new ByteArrayInputStream(image), INFO, Long.MAX_VALUE,
                (index, digest, data, length) -> {
                    assertThat(index).isEqualTo(lengths.size());
                    lengths.add(length);
                    seen.add(Digest.sha256(data, 0, length));
                });

        assertThat(lengths).containsExactly(TestImages.CHUNK, TestImages.CHUNK, TestImages.CHUNK, 100);
        assertThat(m.size()).isEqualTo(image.length);
        assertThat(m.chunkDigests()).isEqualTo(seen);
        assertThat(m.chunkDigests().get(3)).isEqualTo(
                Digest.sha256(image, TestImages.CHUNK * 3, 100));
        assertThat(m.chunkLength(3)).isEqualTo(100);
    }

    @Test
    void exactMultipleOfChunkSizeHasNoEmptyTrailingChunk() throws Exception {
        byte[] image = TestImages.randomBytes(TestImages.CHUNK * 2, 2);
        Manifest m = ImageChunker.chunk(new ByteArrayInputStream(image), INFO, Long.MAX_VALUE, (i, d, b, l) -> { });
        assertThat(m.chunkDigests()).hasSize(2);
    }

    @Test
    void emptyImageHasNoChunks() throws Exception {
        Manifest m = ImageChunker.chunk(new ByteArrayInputStream(new byte[0]), INFO, Long.MAX_VALUE, (i, d, b, l) -> { });
        assertThat(m.chunkDigests()).isEmpty();
        assertThat(m.size()).isZero();
    }

    @Test
    void sameBytesGiveSameRootDigestAndOneChangedByteChangesIt() throws Exception {
        byte[] image = TestImages.randomBytes(TestImages.CHUNK * 2 + 7, 3);
        Manifest a = TestImages.manifestOf(image);
        Manifest b = TestImages.manifestOf(image.clone());
        image[TestImages.CHUNK + 5] ^= 1;
        Manifest c = TestImages.manifestOf(image);

        assertThat(a.rootDigest()).isEqualTo(b.rootDigest());
        assertThat(c.rootDigest()).isNotEqualTo(a.rootDigest());
        assertThat(c.chunkDigests().get(0)).isEqualTo(a.chunkDigests().get(0));
        assertThat(c.chunkDigests().get(1)).isNotEqualTo(a.chunkDigests().get(1));
    }

    @Test
    void refusesAnImageOverTheSizeLimitWithoutReadingItAll() {
        byte[] image = TestImages.randomBytes(TestImages.CHUNK * 4, 4);
        var in = new ByteArrayInputStream(image);
        assertThatThrownBy(() -> ImageChunker.chunk(in, INFO, TestImages.CHUNK * 2L, (i, d, b, l) -> { }))
                .isInstanceOf(ImageChunker.ImageTooLargeException.class)
                .hasMessageContaining("limit of " + TestImages.CHUNK * 2);
        assertThat(in.available()).isGreaterThan(0);
    }
}
