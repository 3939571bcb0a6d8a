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
                ByteBuffer buf = ByteBuffer.wrap(dst, 0, length);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, offset + buf.position()) < 0) {
                        throw new IOException("image file ended early at " + (offset + buf.position()));
                    }
                }
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }
}
