package org.stbguest.multicast.fec;

import java.util.Random;

/** Test data for the erasure codes. */
final class Blocks {

    private Blocks() {
    }

    /** {@code k} random source symbols of {@code t} bytes, the same for the same seed. */
    static byte[][] random(int k, int t, long seed) {
        Random r = new Random(seed);
        byte[][] s = new byte[k][t];
        for (byte[] sym : s) {
            r.nextBytes(sym);
        }
        return s;
    }
}
