package org.stbguest.agent.disk;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Every durable operation the agent makes, in one narrow interface: writes, fsyncs, renames and directory fsyncs.
 * A box runs on {@link #local()}; the crash tests run the same code on a disk that cuts the power after any chosen
 * operation and keeps only what was made durable, so every crash point can be enumerated.
 */
public interface Disk {

    /** The machine's file system. */
    static Disk local() {
        return LocalDisk.INSTANCE;
    }

    /** Creates a directory and its parents (made durable by {@link #syncDirectory} of the parent). */
    void createDirectories(Path dir) throws IOException;

    boolean exists(Path file);

    /** The file's whole content; refused above {@code maxBytes}. */
    byte[] readAll(Path file, int maxBytes) throws IOException;

    /** Reads a file from its start (for verifying a slot image). */
    InputStream newInputStream(Path file) throws IOException;

    /** The file's length, 0 when it does not exist. */
    long size(Path file) throws IOException;

    /**
     * Opens a file for writing at any position, creating it when missing (the new name is durable after
     * {@link #syncDirectory}); {@code truncate} empties it first.
     */
    WritableFile open(Path file, boolean truncate) throws IOException;

    /** Renames atomically, replacing {@code to} (durable after {@link #syncDirectory}). */
    void rename(Path from, Path to) throws IOException;

    /** Deletes a file if it exists. */
    void delete(Path file) throws IOException;

    /** Makes the directory's entries (created, renamed, deleted files) durable. */
    void syncDirectory(Path dir) throws IOException;

    /** A file open for writing. */
    interface WritableFile extends Closeable {

        /** Writes {@code len} bytes at {@code position}. Thread-safe. */
        void write(long position, byte[] data, int off, int len) throws IOException;

        /** Makes everything written so far durable (fsync). */
        void sync() throws IOException;
    }
}
