package org.stbguest.image;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Cuts an image stream into fixed-size chunks, hashes each with SHA-256 and hands it on, then builds the manifest.
 * Reads the stream once, holding one chunk in memory.
 */
public final class ImageChunker {

    /** Default chunk size: 256 KiB, small enough to repair cheaply, large enough to keep manifests short. */
    public static final int DEFAULT_CHUNK_SIZE = 256 * 1024;

    /** Receives each chunk as it is cut. */
    @FunctionalInterface
    public interface ChunkConsumer {
        /** Called once per chunk in order; {@code data[0..length)} is only valid during the call. */
        void accept(int index, Digest digest, byte[] data, int length) throws IOException;
    }

    /** What the manifest needs besides the bytes. */
    public record ImageInfo(String role, long version, long securityVersion, Set<String> hardwareModels, int chunkSize) {
        public ImageInfo {
            if (hardwareModels == null || hardwareModels.isEmpty()) {
                throw new IllegalArgumentException("at least one hardware model is required");
            }
            hardwareModels = Set.copyOf(hardwareModels);
        }
    }

    private ImageChunker() {
    }

    /**
     * Chunks {@code in} to its end.
     *
     * @param maxSize bytes beyond which the image is refused (an {@link ImageTooLargeException} is thrown as soon as
     *                the limit is passed, before the rest is read)
     */
    public static Manifest chunk(InputStream in, ImageInfo info, long maxSize, ChunkConsumer consumer) throws IOException {
        byte[] buf = new byte[info.chunkSize()];
        List<Digest> digests = new ArrayList<>();
        long size = 0;
        while (true) {
            int filled = in.readNBytes(buf, 0, buf.length);
            if (filled == 0) {
                break;
            }
            size += filled;
            if (size > maxSize) {
                throw new ImageTooLargeException(maxSize);
            }
            Digest d = Digest.sha256(buf, 0, filled);
            consumer.accept(digests.size(), d, buf, filled);
            digests.add(d);
            if (filled < buf.length) {
                break;
            }
        }
        return Manifest.of(info.role(), info.version(), info.securityVersion(), info.hardwareModels(),
                size, info.chunkSize(), digests);
    }

    /** Thrown when an image is larger than the configured limit. */
    public static final class ImageTooLargeException extends IOException {
        private final long limit;

        public ImageTooLargeException(long limit) {
            super("image is larger than the limit of " + limit + " bytes");
            this.limit = limit;
        }

        public long limit() {
            return limit;
        }
    }
}
