package org.stbguest.image;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SHA-256 (FIPS 180-4) of several messages of one length at once, one message per lane of the widest integer vector
 * the CPU has: sixteen on AVX-512, eight on AVX2. The rounds are the standard's, word for word; only each word is a
 * vector of the lanes' words. On a CPU without SHA instructions this does four to six times the bytes per second of
 * the JDK's one-message intrinsic, which is what a box verifying a decoded block's chunks (all of one length, all at
 * hand) needs.
 *
 * <p>Uses the JDK's incubating Vector API ({@code --add-modules jdk.incubator.vector}); {@link ChunkDigests} loads this
 * class only when that module is present, and checks it against {@link java.security.MessageDigest} first.
 */
final class VectorSha256 {

    private static final VectorSpecies<Integer> SPECIES = IntVector.SPECIES_PREFERRED;
    /** Messages hashed at once. */
    static final int LANES = SPECIES.length();

    private static final VarHandle BIG_ENDIAN_INT =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private static final int[] K = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    private static final int[] H0 = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorSha256() {
    }

    /** One thread's working arrays. */
    private static final class Scratch {
        final int[] state = new int[8 * LANES];
        final int[] w = new int[64 * LANES];
        /** Each lane's last one or two blocks: the message's tail and the padding. */
        final byte[][] last = new byte[LANES][128];
    }

    /**
     * SHA-256 of {@code messages[from .. from + count)}, all {@code length} bytes long (a message may be longer; only
     * its first {@code length} bytes count), into {@code out[from .. from + count)}.
     *
     * @param count 1 to {@link #LANES}: lanes without a message of their own hash the last one again
     */
    static void digest(byte[][] messages, int from, int count, int length, byte[][] out) {
        if (count < 1 || count > LANES) {
            throw new IllegalArgumentException("count must be 1.." + LANES + ", got " + count);
        }
        byte[][] lane = new byte[LANES][];
        for (int m = 0; m < LANES; m++) {
            lane[m] = messages[from + Math.min(m, count - 1)];
            if (lane[m].length < length) {
                throw new IllegalArgumentException("message " + (from + m) + " is shorter than " + length);
            }
        }
        // state and message schedule, word-major: word j of lane m at [j * LANES + m]; vectors stay in locals and
        // arrays of ints, never in arrays of vectors, so that the compiler keeps them in registers. The arrays are
        // the thread's own, reused
        Scratch scratch = SCRATCH.get();
        int[] state = scratch.state;
        for (int i = 0; i < 8; i++) {
            java.util.Arrays.fill(state, i * LANES, (i + 1) * LANES, H0[i]);
        }
        int[] w = scratch.w;
        int whole = length & ~63;
        for (int offset = 0; offset < whole; offset += 64) {
            transpose(lane, offset, w);
            compress(state, w);
        }
        // the tail and the padding: 0x80, zeros, the length in bits; one block, or two when the tail leaves no room
        int tail = length - whole;
        int padded = tail < 56 ? 64 : 128;
        byte[][] last = scratch.last;
        long bits = (long) length * 8;
        for (int m = 0; m < LANES; m++) {
            java.util.Arrays.fill(last[m], (byte) 0);
            System.arraycopy(lane[m], whole, last[m], 0, tail);
            last[m][tail] = (byte) 0x80;
            putInt(last[m], padded - 8, (int) (bits >>> 32));
            putInt(last[m], padded - 4, (int) bits);
        }
        for (int offset = 0; offset < padded; offset += 64) {
            transpose(last, offset, w);
            compress(state, w);
        }
        for (int m = 0; m < count; m++) {
            byte[] digest = new byte[32];
            for (int i = 0; i < 8; i++) {
                putInt(digest, 4 * i, state[i * LANES + m]);
            }
            out[from + m] = digest;
        }
    }

    /**
     * Big-endian, a byte at a time. Not with a byte-array view {@link VarHandle}: in this class, JDK 17's C2 with the
     * serial or the parallel collector (not G1) dropped such int-wide stores into the digest's array, allocated just
     * before, and every digest came out as zeros once compiled (a small method without vectors did not show it;
     * {@code ChunkDigestsTest#theBatchPathStaysRightOnceCompiledUnderTheSerialCollector} checks it).
     */
    private static void putInt(byte[] b, int offset, int v) {
        b[offset] = (byte) (v >>> 24);
        b[offset + 1] = (byte) (v >>> 16);
        b[offset + 2] = (byte) (v >>> 8);
        b[offset + 3] = (byte) v;
    }

    /** The 64-byte block at {@code offset} of every lane into the schedule's first sixteen words, big-endian. */
    private static void transpose(byte[][] lane, int offset, int[] w) {
        for (int m = 0; m < LANES; m++) {
            byte[] b = lane[m];
            for (int j = 0; j < 16; j++) {
                w[j * LANES + m] = (int) BIG_ENDIAN_INT.get(b, offset + 4 * j);
            }
        }
    }

    private static void compress(int[] state, int[] w) {
        for (int t = 16; t < 64; t++) {
            IntVector w15 = IntVector.fromArray(SPECIES, w, (t - 15) * LANES);
            IntVector w2 = IntVector.fromArray(SPECIES, w, (t - 2) * LANES);
            IntVector s0 = w15.lanewise(VectorOperators.ROR, 7)
                    .lanewise(VectorOperators.XOR, w15.lanewise(VectorOperators.ROR, 18))
                    .lanewise(VectorOperators.XOR, w15.lanewise(VectorOperators.LSHR, 3));
            IntVector s1 = w2.lanewise(VectorOperators.ROR, 17)
                    .lanewise(VectorOperators.XOR, w2.lanewise(VectorOperators.ROR, 19))
                    .lanewise(VectorOperators.XOR, w2.lanewise(VectorOperators.LSHR, 10));
            IntVector.fromArray(SPECIES, w, (t - 16) * LANES).add(s0)
                    .add(IntVector.fromArray(SPECIES, w, (t - 7) * LANES)).add(s1)
                    .intoArray(w, t * LANES);
        }
        IntVector a = IntVector.fromArray(SPECIES, state, 0);
        IntVector b = IntVector.fromArray(SPECIES, state, LANES);
        IntVector c = IntVector.fromArray(SPECIES, state, 2 * LANES);
        IntVector d = IntVector.fromArray(SPECIES, state, 3 * LANES);
        IntVector e = IntVector.fromArray(SPECIES, state, 4 * LANES);
        IntVector f = IntVector.fromArray(SPECIES, state, 5 * LANES);
        IntVector g = IntVector.fromArray(SPECIES, state, 6 * LANES);
        IntVector h = IntVector.fromArray(SPECIES, state, 7 * LANES);
        for (int t = 0; t < 64; t++) {
            IntVector sigma1 = e.lanewise(VectorOperators.ROR, 6)
                    .lanewise(VectorOperators.XOR, e.lanewise(VectorOperators.ROR, 11))
                    .lanewise(VectorOperators.XOR, e.lanewise(VectorOperators.ROR, 25));
            IntVector ch = e.and(f).lanewise(VectorOperators.XOR, e.lanewise(VectorOperators.NOT).and(g));
            IntVector t1 = h.add(sigma1).add(ch).add(K[t]).add(IntVector.fromArray(SPECIES, w, t * LANES));
            IntVector sigma0 = a.lanewise(VectorOperators.ROR, 2)
                    .lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.ROR, 13))
                    .lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.ROR, 22));
            IntVector maj = a.and(b).lanewise(VectorOperators.XOR, a.and(c)).lanewise(VectorOperators.XOR, b.and(c));
            h = g;
            g = f;
            f = e;
            e = d.add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.add(sigma0.add(maj));
        }
        // written out, not in a helper: a vector passed to a method C2 does not inline (this one is large) is boxed,
        // which made the whole digest three times slower
        IntVector.fromArray(SPECIES, state, 0 * LANES).add(a).intoArray(state, 0 * LANES);
        IntVector.fromArray(SPECIES, state, 1 * LANES).add(b).intoArray(state, 1 * LANES);
        IntVector.fromArray(SPECIES, state, 2 * LANES).add(c).intoArray(state, 2 * LANES);
        IntVector.fromArray(SPECIES, state, 3 * LANES).add(d).intoArray(state, 3 * LANES);
        IntVector.fromArray(SPECIES, state, 4 * LANES).add(e).intoArray(state, 4 * LANES);
        IntVector.fromArray(SPECIES, state, 5 * LANES).add(f).intoArray(state, 5 * LANES);
        IntVector.fromArray(SPECIES, state, 6 * LANES).add(g).intoArray(state, 6 * LANES);
        IntVector.fromArray(SPECIES, state, 7 * LANES).add(h).intoArray(state, 7 * LANES);
    }
}
