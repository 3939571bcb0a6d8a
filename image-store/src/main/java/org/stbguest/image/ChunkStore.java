package org.stbguest.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Content-addressed chunk storage on disk: a chunk lives at {@code chunks/ab/abcdef...} named by its SHA-256, so
 * identical chunks of different images are stored once. Writes go to a temp file, are fsynced and then moved into
 * place atomically: a crash leaves either no chunk or the whole chunk, never a torn one. Safe for concurrent use.
 */
public final class ChunkStore {

    private final Path chunks;
    private final Path tmp;

    public ChunkStore(Path root) throws IOException {
        this.chunks = root.resolve("chunks");
        this.tmp = root.resolve("tmp");
        Files.createDirectories(chunks);
        Files.createDirectories(tmp);
    }

    /** Stores a chunk whose digest the caller already computed; verifies nothing beyond the length. */
    public void put(Digest digest, byte[] data, int length) throws IOException {
        Path target = path(digest);
        if (Files.exists(target)) {
            // refresh the age so a concurrent garbage collection keeps a chunk that a new upload reuses
            Files.setLastModifiedTime(target, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
            return;
        }
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempFile(tmp, digest.shortHex(), ".part");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(data, 0, length));
                ch.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                if (!Files.exists(target)) {
                    throw e;
                }
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Stores a chunk, computing its digest. */
    public Digest put(byte[] data) throws IOException {
        Digest d = Digest.sha256(data);
        put(d, data, data.length);
        return d;
    }

    /** Whether the chunk is present. */
    public boolean contains(Digest digest) {
        return Files.exists(path(digest));
    }

    /**
     * Reads a chunk and checks its digest (disk corruption is caught here, not on the box).
     *
     * @throws NoSuchFileException when absent
     * @throws ImageVerificationException with {@code TAMPERED_CHUNK} when the bytes on disk no longer match
     */
    public byte[] get(Digest digest) throws IOException {
        byte[] data = Files.readAllBytes(path(digest));
        Digest actual = Digest.sha256(data);
        if (!actual.equals(digest)) {
            throw new ImageVerificationException(ImageVerificationException.Reason.TAMPERED_CHUNK,
                    "stored chunk " + digest.shortHex() + " now hashes to " + actual.shortHex());
        }
        return data;
    }

    /** The whole image a manifest describes, chunk after chunk. */
    public InputStream openImage(Manifest manifest) {
        Iterator<Digest> it = manifest.chunkDigests().iterator();
        Enumeration<InputStream> parts = new Enumeration<>() {
            @Override
            public boolean hasMoreElements() {
                return it.hasNext();
            }

            @Override
            public InputStream nextElement() {
                if (!it.hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    return new java.io.ByteArrayInputStream(get(it.next()));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        return new SequenceInputStream(parts);
    }

    /** Copies the whole image to {@code out}. */
    public void copyImage(Manifest manifest, OutputStream out) throws IOException {
        for (Digest d : manifest.chunkDigests()) {
            out.write(get(d));
        }
    }

    /**
     * Copies bytes {@code [offset, offset + length)} of the image to {@code out}, reading only the chunks that hold
     * them (for HTTP range requests).
     */
    public void copyRange(Manifest manifest, long offset, long length, OutputStream out) throws IOException {
        if (offset < 0 || length < 0 || offset + length > manifest.size()) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " is outside the image's "
                    + manifest.size() + " bytes");
        }
        long end = offset + length;
        int chunkSize = manifest.chunkSize();
        for (int c = (int) (offset / chunkSize); length > 0 && (long) c * chunkSize < end; c++) {
            byte[] data = get(manifest.chunkDigests().get(c));
            long chunkStart = (long) c * chunkSize;
            int from = (int) Math.max(0, offset - chunkStart);
            int to = (int) Math.min(data.length, end - chunkStart);
            out.write(data, from, to - from);
        }
    }

    /**
     * Deletes chunks that {@code live} does not reference and that are older than {@code olderThan}. The age
     * limit protects an upload in flight, whose chunks exist before the image that references them is committed.
     *
     * @return the number of chunks deleted
     */
    public int collectGarbage(java.util.function.Predicate<Digest> live, java.time.Instant olderThan) throws IOException {
        int deleted = 0;
        try (var files = Files.walk(chunks)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                Digest d;
                try {
                    d = Digest.parse(p.getFileName().toString());
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (!live.test(d) && Files.getLastModifiedTime(p).toInstant().isBefore(olderThan)) {
                    Files.deleteIfExists(p);
                    deleted++;
                }
            }
        }
        return deleted;
    }

    Path path(Digest digest) {
        return chunks.resolve(digest.hex().substring(0, 2)).resolve(digest.hex());
    }
}
