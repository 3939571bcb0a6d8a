package org.stbguest.multicast;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Map;
import java.util.Set;
import org.stbguest.image.ImageChunker;
import org.stbguest.image.Manifest;

/** Helpers the multicast tests share: addresses, manifests of test images, and received chunks put back together. */
final class TestImages {

    /** Chunk size of the test manifests. */
    static final int CHUNK = 64 * 1024;

    private TestImages() {
    }

    static Inet4Address address(String a) {
        try {
            return (Inet4Address) InetAddress.getByName(a);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static Manifest manifestOf(byte[] image) throws IOException {
        return ImageChunker.chunk(new ByteArrayInputStream(image),
                new ImageChunker.ImageInfo("entertainment", 2, 1, Set.of("stb-x1"), CHUNK), Long.MAX_VALUE, (i, d, b, l) -> { });
    }

    /** The image a receiver's sink got, chunk after chunk. */
    static byte[] join(Map<Integer, byte[]> chunks, Manifest manifest) {
        var out = new ByteArrayOutputStream();
        for (int c = 0; c < manifest.chunkDigests().size(); c++) {
            out.writeBytes(chunks.get(c));
        }
        return out.toByteArray();
    }
}
