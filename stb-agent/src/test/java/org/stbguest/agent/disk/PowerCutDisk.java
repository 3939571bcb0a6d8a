package org.stbguest.agent.disk;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory disk that cuts the power after its {@code cutAfter}-th durable operation (a write, a truncation, an
 * fsync, a rename, a delete or a directory fsync) and keeps, as a real disk would at worst, only what was made durable
 * before the cut: a file's content as of its last fsync, a directory's entries as of its last directory fsync. Every
 * operation after the cut fails, reads included (the machine is off). {@link #survivors()} is the disk a restarted box
 * finds.
 */
public final class PowerCutDisk implements Disk {

    /** Thrown by the operation that met the cut and by every one after it. */
    public static final class PowerCut extends IOException {
        PowerCut(String op) {
            super("power cut at " + op);
        }
    }

    private static final class Inode {
        byte[] durable = new byte[0];
        byte[] current = new byte[0];

        Inode copyDurable() {
            Inode i = new Inode();
            i.durable = durable.clone();
            i.current = durable.clone();
            return i;
        }
    }

    private final Map<Path, Inode> names = new HashMap<>();
    private final Map<Path, Inode> durableNames = new HashMap<>();
    private final Set<Path> dirs = new HashSet<>();
    private final long cutAfter;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private long ops;
    private boolean cut;

    /** A disk that never loses power. */
    public PowerCutDisk() {
        this(Long.MAX_VALUE);
    }

    public PowerCutDisk(long cutAfter) {
        this.cutAfter = cutAfter;
    }

    /** A copy of what survives, with its power cut after {@code cutAfter} more operations. */
    public synchronized PowerCutDisk survivors(long cutAfter) {
        PowerCutDisk d = new PowerCutDisk(cutAfter);
        Map<Inode, Inode> copies = new HashMap<>();
        durableNames.forEach((p, i) -> {
            Inode c = copies.computeIfAbsent(i, Inode::copyDurable);
            d.names.put(p, c);
            d.durableNames.put(p, c);
        });
        d.dirs.addAll(dirs);
        return d;
    }

    /** What survives, on a disk that keeps its power. */
    public PowerCutDisk survivors() {
        return survivors(Long.MAX_VALUE);
    }

    public synchronized boolean isCut() {
        return cut;
    }

    /** Durable operations done (the one that met the cut not included). */
    public synchronized long operations() {
        return ops;
    }

    /** The operations done, in order (for a failure message). */
    public List<String> log() {
        return List.copyOf(log);
    }

    /** The file's current content, as a reader now would see it (null when absent). */
    public synchronized byte[] content(Path file) {
        Inode i = names.get(file);
        return i == null ? null : i.current.clone();
    }

    /** Overwrites a file's content durably, outside the operation count (tests tear files with it). */
    public synchronized void put(Path file, byte[] content) {
        Inode i = names.computeIfAbsent(file, f -> new Inode());
        i.current = content.clone();
        i.durable = content.clone();
        durableNames.put(file, i);
    }

    private void op(String what) throws PowerCut {
        if (cut) {
            throw new PowerCut(what + " (the power is already off)");
        }
        if (ops >= cutAfter) {
            cut = true;
            throw new PowerCut(what);
        }
        ops++;
        log.add(what);
    }

    private void alive(String what) throws PowerCut {
        if (cut) {
            throw new PowerCut(what + " (the power is already off)");
        }
    }

    @Override
    public synchronized void createDirectories(Path dir) throws IOException {
        alive("mkdir " + dir);
        for (Path p = dir; p != null; p = p.getParent()) {
            dirs.add(p); // directories are taken as durable once made: the agent makes them before any state
        }
    }

    @Override
    public synchronized boolean exists(Path file) {
        return !cut && names.containsKey(file);
    }

    @Override
    public synchronized byte[] readAll(Path file, int maxBytes) throws IOException {
        alive("read " + file);
        Inode i = names.get(file);
        if (i == null) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        if (i.current.length > maxBytes) {
            throw new IOException(file + " is larger than " + maxBytes);
        }
        return i.current.clone();
    }

    @Override
    public synchronized InputStream newInputStream(Path file) throws IOException {
        return new ByteArrayInputStream(readAll(file, Integer.MAX_VALUE));
    }

    @Override
    public synchronized long size(Path file) throws IOException {
        alive("size " + file);
        Inode i = names.get(file);
        return i == null ? 0 : i.current.length;
    }

    @Override
    public synchronized WritableFile open(Path file, boolean truncate) throws IOException {
        alive("open " + file);
        if (!dirs.contains(file.getParent())) {
            throw new java.nio.file.NoSuchFileException(file.getParent().toString());
        }
        Inode inode = names.get(file);
        if (inode == null) {
            inode = new Inode();
            names.put(file, inode);
        }
        if (truncate && inode.current.length > 0) {
            op("truncate " + file.getFileName());
            inode.current = new byte[0];
        }
        Inode target = inode;
        return new WritableFile() {
            @Override
            public void write(long position, byte[] data, int off, int len) throws IOException {
                synchronized (PowerCutDisk.this) {
                    op("write " + file.getFileName() + "@" + position + "+" + len);
                    int end = Math.toIntExact(position + len);
                    if (target.current.length < end) {
                        target.current = Arrays.copyOf(target.current, end);
                    }
                    System.arraycopy(data, off, target.current, (int) position, len);
                }
            }

            @Override
            public void sync() throws IOException {
                synchronized (PowerCutDisk.this) {
                    op("fsync " + file.getFileName());
                    target.durable = target.current.clone();
                }
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public synchronized void rename(Path from, Path to) throws IOException {
        op("rename " + from.getFileName() + " " + to.getFileName());
        Inode i = names.remove(from);
        if (i == null) {
            throw new java.nio.file.NoSuchFileException(from.toString());
        }
        names.put(to, i);
    }

    @Override
    public synchronized void delete(Path file) throws IOException {
        if (names.containsKey(file)) {
            op("delete " + file.getFileName());
            names.remove(file);
        }
    }

    @Override
    public synchronized void syncDirectory(Path dir) throws IOException {
        op("fsync-dir " + dir.getFileName());
        durableNames.keySet().removeIf(p -> dir.equals(p.getParent()) && !names.containsKey(p));
        names.forEach((p, i) -> {
            if (dir.equals(p.getParent())) {
                durableNames.put(p, i);
            }
        });
    }
}
