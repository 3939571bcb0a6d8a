package org.stbguest.image;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHA-256 of many chunks at once: several per call of the vector unit where the JVM has the Vector API
 * ({@code --add-modules jdk.incubator.vector}) and the CPU has vectors of eight 32-bit lanes or more (AVX2, AVX-512),
 * one at a time with the JDK's {@link MessageDigest} otherwise. The digests are the same either way; only the speed
 * differs (four to six times on a CPU without SHA instructions, measured in {@code docs/BENCHMARKS.md}).
 *
 * <p>Narrower vectors (ARM's 128-bit NEON: four lanes) are not used: there the JDK's intrinsic for the ARMv8 SHA-256
 * instructions is faster. {@code -Dstbguest.sha256.lanes=off} turns the vector path off. Before it is used, the vector
 * path must give {@link MessageDigest}'s digests for a set of test messages; if it does not, or the API does not link
 * (it is incubating and changes between JDK releases), chunks are hashed one at a time.
 */
public final class ChunkDigests {

    private static final Logger log = LoggerFactory.getLogger(ChunkDigests.class);

    /** Lanes of the vector path in use; 1 when chunks are hashed one at a time (and from the moment it erred). */
    private static volatile int lanes = selectLanes(System.getProperty("stbguest.sha256.lanes", "auto"));

    private ChunkDigests() {
    }

    /** How many chunks one pass of the vector unit hashes: 1 when they are hashed one at a time. */
    public static int lanes() {
        return lanes;
    }

    /** SHA-256 of each whole array, in order. */
    public static Digest[] sha256(byte[][] messages) {
        return sha256(messages, lanes);
    }

    /**
     * A digest from the vector path was wrong ({@link MessageDigest} disagreed about a chunk the manifest expects):
     * from now on chunks are hashed one at a time. A wrong digest can only make a good chunk look bad, never a bad
     * one good, and {@link Manifest#checkChunks} asks the JDK before rejecting one; this keeps a JIT that miscompiles
     * the incubating API from making every chunk cost two digests.
     */
    static void distrust(String detail) {
        if (lanes > 1) {
            lanes = 1;
            log.warn("event=sha256_one_at_a_time reason=\"the vector path gave a wrong digest: {}\"", detail);
        }
    }

    /** Chooses again, as at start-up ({@code setting} as {@code stbguest.sha256.lanes}); for tests. */
    static void select(String setting) {
        lanes = selectLanes(setting);
    }

    /** The same with {@code lanes} (1: the JDK alone; otherwise {@link VectorSha256#LANES}). */
    static Digest[] sha256(byte[][] messages, int lanes) {
        Digest[] out = new Digest[messages.length];
        if (lanes == 1) {
            for (int i = 0; i < messages.length; i++) {
                out[i] = Digest.sha256(messages[i]);
            }
            return out;
        }
        // the vector path hashes messages of one length together: group them, keeping each group's order
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int i = 0; i < messages.length; i++) {
            byLength.computeIfAbsent(messages[i].length, l -> new ArrayList<>()).add(i);
        }
        // a pass costs the same however many of its lanes carry a message: below a quarter of them, the JDK's
        // one-at-a-time intrinsic is as fast
        int fewest = Math.max(2, lanes / 4);
        for (Map.Entry<Integer, List<Integer>> group : byLength.entrySet()) {
            List<Integer> indexes = group.getValue();
            for (int from = 0; from < indexes.size(); from += lanes) {
                int count = Math.min(lanes, indexes.size() - from);
                if (count < fewest) {
                    for (int i = from; i < from + count; i++) {
                        out[indexes.get(i)] = Digest.sha256(messages[indexes.get(i)]);
                    }
                    continue;
                }
                byte[][] batch = new byte[count][];
                for (int i = 0; i < count; i++) {
                    batch[i] = messages[indexes.get(from + i)];
                }
                byte[][] raw = new byte[count][];
                VectorSha256.digest(batch, 0, count, group.getKey(), raw);
                for (int i = 0; i < count; i++) {
                    out[indexes.get(from + i)] = Digest.ofBytes(raw[i]);
                }
            }
        }
        return out;
    }

    /**
     * The vector path's lanes if {@code setting} allows it, the module is there, the vectors are wide enough and the
     * path passes its check; 1 otherwise.
     */
    static int selectLanes(String setting) {
        if ("off".equalsIgnoreCase(setting)) {
            return 1;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            log.debug("event=sha256_one_at_a_time reason=\"no jdk.incubator.vector module\"");
            return 1;
        }
        try {
            int lanes = VectorSha256.LANES;
            if (lanes < 8) {
                log.debug("event=sha256_one_at_a_time reason=\"vectors of {} lanes\"", lanes);
                return 1;
            }
            if (!agreesWithJdk(lanes)) {
                log.warn("event=sha256_one_at_a_time reason=\"the vector path disagrees with MessageDigest\"");
                return 1;
            }
            log.debug("event=sha256_lanes lanes={}", lanes);
            return lanes;
        } catch (LinkageError | RuntimeException e) {
            log.warn("event=sha256_one_at_a_time reason=\"{}\"", e.toString());
            return 1;
        }
    }

    /** Whether the vector path gives the JDK's digests for every tail length and for a full and a partial batch. */
    private static boolean agreesWithJdk(int lanes) {
        byte[][] messages = new byte[lanes][];
        // every way the tail and the padding fall: none, short, one block, two blocks, at the edges
        for (int length : new int[] {0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000}) {
            for (int m = 0; m < lanes; m++) {
                messages[m] = new byte[length];
                for (int i = 0; i < length; i++) {
                    messages[m][i] = (byte) (31 * m + 7 * i + length);
                }
            }
            int count = length % 2 == 0 ? lanes : lanes / 2 + 1; // full and partial batches
            byte[][] out = new byte[lanes][];
            VectorSha256.digest(messages, 0, count, length, out);
            for (int m = 0; m < count; m++) {
                if (!Arrays.equals(out[m], Digest.newSha256().digest(messages[m]))) {
                    return false;
                }
            }
        }
        return true;
    }
}
