package org.stbguest.agent.disk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A small state record kept in two checksummed copies, {@code <name>.0} and {@code <name>.1}, as a bootloader keeps
 * its redundant environment: a save overwrites the older copy in place and fsyncs it, so at every instant at least
 * one complete copy is on disk. The loader takes the valid copy of the highest generation; a copy that is torn,
 * truncated at any byte, or has garbage appended (after its recorded length) is either still valid or ignored, so a
 * load returns the old state or the new one, never neither and never an exception for a damaged copy.
 *
 * <p>Each copy: a header line {@code stb-state 1 <generation> <length> <sha-256 of the body>}, then the body.
 */
public final class StateFile {

    /** The largest record accepted. */
    public static final int MAX_BYTES = 1 << 20;
    private static final String MAGIC = "stb-state 1 ";

    private final Disk disk;
    private final Path dir;
    private final String name;
    private long generation = -1;
    private int newest = -1;

    public StateFile(Disk disk, Path dir, String name) {
        this.disk = disk;
        this.dir = dir;
        this.name = name;
    }

    /** The file of copy {@code i} (0 or 1). */
    public Path copy(int i) {
        return dir.resolve(name + "." + i);
    }

    /** The newest valid copy's body, if any copy is valid. */
    public synchronized Optional<byte[]> load() throws IOException {
        generation = -1;
        newest = -1;
        byte[] best = null;
        for (int i = 0; i < 2; i++) {
            Path file = copy(i);
            if (!disk.exists(file)) {
                continue;
            }
            byte[] raw;
            try {
                raw = disk.readAll(file, MAX_BYTES + 200);
            } catch (IOException e) {
                continue; // an unreadable copy is a damaged copy
            }
            Record r = parse(raw);
            if (r != null && r.generation > generation) {
                generation = r.generation;
                newest = i;
                best = r.body;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Writes {@code body} as the next generation over the older copy, durably; the newer copy is never touched. */
    public synchronized void save(byte[] body) throws IOException {
        if (body.length > MAX_BYTES) {
            throw new IllegalArgumentException("state record of " + body.length + " bytes exceeds " + MAX_BYTES);
        }
        if (newest < 0 && generation < 0) {
            load();
        }
        int target = newest == 0 ? 1 : 0;
        long next = generation + 1;
        byte[] header = (MAGIC + next + " " + body.length + " " + sha256(body) + "\n").getBytes(StandardCharsets.US_ASCII);
        Path file = copy(target);
        boolean created = !disk.exists(file);
        disk.createDirectories(dir);
        try (Disk.WritableFile f = disk.open(file, true)) {
            byte[] all = new byte[header.length + body.length];
            System.arraycopy(header, 0, all, 0, header.length);
            System.arraycopy(body, 0, all, header.length, body.length);
            f.write(0, all, 0, all.length);
            f.sync();
        }
        if (created) {
            disk.syncDirectory(dir);
        }
        generation = next;
        newest = target;
    }

    private record Record(long generation, byte[] body) {
    }

    /** The record in {@code raw}, or null when it is not a complete, intact copy. */
    static Record parse(byte[] raw) {
        int eol = -1;
        for (int i = 0; i < Math.min(raw.length, 200); i++) {
            if (raw[i] == '\n') {
                eol = i;
                break;
            }
        }
        if (eol < 0) {
            return null;
        }
        String header = new String(raw, 0, eol, StandardCharsets.US_ASCII);
        if (!header.startsWith(MAGIC)) {
            return null;
        }
        String[] parts = header.substring(MAGIC.length()).split(" ");
        if (parts.length != 3) {
            return null;
        }
        try {
            long gen = Long.parseLong(parts[0]);
            int length = Integer.parseInt(parts[1]);
            if (gen < 0 || length < 0 || length > MAX_BYTES || raw.length - eol - 1 < length) {
                return null;
            }
            byte[] body = java.util.Arrays.copyOfRange(raw, eol + 1, eol + 1 + length);
            return sha256(body).equals(parts[2]) ? new Record(gen, body) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
