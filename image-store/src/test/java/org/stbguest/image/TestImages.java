package org.stbguest.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Deterministic test images. */
final class TestImages {

    static final int CHUNK = Manifest.MIN_CHUNK_SIZE;

    private TestImages() {
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Manifest manifestOf(byte[] image) {
        return manifestOf(image, "entertainment", 2, 1);
    }

    static Manifest manifestOf(byte[] image, String role, long version, long securityVersion) {
        try {
            return ImageChunker.chunk(new ByteArrayInputStream(image),
                    new ImageChunker.ImageInfo(role, version, securityVersion, Set.of("stb-x1", "stb-x2"), CHUNK),
                    Long.MAX_VALUE, (i, d, data, len) -> { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<byte[]> chunksOf(byte[] image) {
        List<byte[]> chunks = new ArrayList<>();
        for (int off = 0; off < image.length; off += CHUNK) {
            chunks.add(java.util.Arrays.copyOfRange(image, off, Math.min(image.length, off + CHUNK)));
        }
        return chunks;
    }
}
