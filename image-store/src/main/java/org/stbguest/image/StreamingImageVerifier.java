package org.stbguest.image;

import java.io.IOException;

/**
 * Verifies an image as it streams in, chunk by chunk, against a trusted manifest, and passes on only verified
 * chunks. Bytes are buffered up to a chunk boundary; a chunk is handed to the sink only once its SHA-256 matches.
 * {@link #finish()} refuses an image that ended early. Not thread-safe: one stream, one verifier.
 */
public final class StreamingImageVerifier {

    /** Receives verified chunks in order. */
    @FunctionalInterface
    public interface VerifiedChunkSink {
        void accept(int index, byte[] data, int length) throws IOException;
    }

    private final Manifest manifest;
    private final VerifiedChunkSink sink;
    private final byte[] buf;
    private int filled;
    private int nextChunk;
    private long received;

    public StreamingImageVerifier(Manifest manifest, VerifiedChunkSink sink) {
        this.manifest = manifest;
        this.sink = sink;
        this.buf = new byte[manifest.chunkSize()];
    }

    /** Feeds bytes; throws as soon as a completed chunk does not match or the image runs past its size. */
    public void update(byte[] data, int offset, int length) throws IOException {
        if (received + length > manifest.size()) {
            throw new ImageVerificationException(ImageVerificationException.Reason.OVERSIZED,
                    "image runs past the manifest's size of " + manifest.size() + " bytes");
        }
        received += length;
        while (length > 0) {
            int want = manifest.chunkLength(nextChunk) - filled;
            int n = Math.min(want, length);
            System.arraycopy(data, offset, buf, filled, n);
            filled += n;
            offset += n;
            length -= n;
            if (filled == manifest.chunkLength(nextChunk)) {
                manifest.verifyChunk(nextChunk, buf, 0, filled);
                sink.accept(nextChunk, buf, filled);
                nextChunk++;
                filled = 0;
            }
        }
    }

    /** Ends the stream; throws {@code TRUNCATED} when bytes are missing. */
    public void finish() {
        if (received != manifest.size()) {
            throw new ImageVerificationException(ImageVerificationException.Reason.TRUNCATED,
                    "image ended after " + received + " of " + manifest.size() + " bytes");
        }
    }

    /** Bytes accepted so far. */
    public long received() {
        return received;
    }
}
