package org.stbguest.multicast;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Random-access bytes of the image being transmitted. */
public interface ImageSource extends AutoCloseable {

    /** Size of the image in bytes. */
    long size();

    /** Reads exactly {@code length} bytes at {@code offset} into {@code dst}. */
    void read(long offset, byte[] dst, int length) throws IOException;

    /**
     * Reads exactly {@code dst.remaining()} bytes at {@code offset} into {@code dst}, advancing its position. The sender
     * reads blocks into a direct buffer this way, which a file source fills without a copy through the heap.
     */
    default void read(long offset, ByteBuffer dst) throws IOException {
        byte[] bytes = new byte[dst.remaining()];
        read(offset, bytes, bytes.length);
        dst.put(bytes);
    }

    @Override
    default void close() throws IOException {
    }

    /** An image held in memory. */
    static ImageSource of(byte[] image) {
        return new ImageSource() {
            @Override
            public long size() {
                return image.length;
            }

            @Override
            public void read(long offset, byte[] dst, int length) {
                System.arraycopy(image, Math.toIntExact(offset), dst, 0, length);
            }

            @Override
            public void read(long offset, ByteBuffer dst) {
                dst.put(image, Math.toIntExact(offset), dst.remaining());
            }
        };
    }

    /** An image in a file, read with positional reads (safe for concurrent readers). */
    static ImageSource of(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        long size = ch.size();
        return new ImageSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public void read(long offset, byte[] dst, int length) throws IOException {
                read(offset, ByteBuffer.wrap(dst, 0, length));
            }

            @Override
            public void read(long offset, ByteBuffer dst) throws IOException {
                long at = offset;
                while (dst.hasRemaining()) {
                    int n = ch.read(dst, at);
                    if (n < 0) {
                        throw new IOException("image file ended early at " + at);
                    }
                    at += n;
                }
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }
}
