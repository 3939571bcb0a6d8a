package org.stbguest.multicast.fec;

import java.util.Arrays;

/**
 * A systematic Reed-Solomon erasure code over GF(256) for one source block of {@code k} symbols. Symbol ids
 * (ESIs) {@code 0..k-1} are the source symbols themselves; ids {@code k..255} are repair symbols, row
 * {@code 1 / (x_r + y_j)} of a Cauchy matrix with {@code y_j = j} and {@code x_r = esi}. Every square submatrix of a
 * Cauchy matrix is invertible, so <em>any</em> {@code k} distinct symbols rebuild the block, and one repair symbol
 * heals a different loss at every receiver. Repair symbols are computed only when asked for. Immutable, thread-safe.
 */
public final class ReedSolomon {

    /** The largest symbol id: source and repair ids share the 256 field elements. */
    public static final int MAX_ESI = 255;

    private final int k;
    private final int symbolSize;

    public ReedSolomon(int k, int symbolSize) {
        if (k < 1 || k > 128) {
            throw new IllegalArgumentException("k must be 1..128, got " + k);
        }
        if (symbolSize < 1) {
            throw new IllegalArgumentException("symbol size must be positive");
        }
        this.k = k;
        this.symbolSize = symbolSize;
    }

    public int k() {
        return k;
    }

    public int symbolSize() {
        return symbolSize;
    }

    /** How many distinct repair symbols the code has for this block. */
    public int maxRepair() {
        return MAX_ESI + 1 - k;
    }

    /** Cauchy coefficient of source symbol {@code j} in repair symbol {@code esi}. */
    static int coefficient(int esi, int j) {
        return Gf256.inverse(esi ^ j);
    }

    /**
     * Computes repair symbol {@code esi} (k..255) of a block into {@code out}.
     *
     * @param source the k source symbols, each {@code symbolSize} bytes (the last symbol of an image zero-padded)
     */
    public void encode(byte[][] source, int esi, byte[] out) {
        if (esi < k || esi > MAX_ESI) {
            throw new IllegalArgumentException("repair symbol id must be " + k + ".." + MAX_ESI + ", got " + esi);
        }
        Arrays.fill(out, 0, symbolSize, (byte) 0);
        for (int j = 0; j < k; j++) {
            Gf256.mulAdd(out, source[j], coefficient(esi, j), symbolSize);
        }
    }

    /** A decoder for one block of this code. */
    public Decoder decoder() {
        return new Decoder();
    }

    /**
     * Collects symbols of one block in any order and rebuilds the source symbols once {@code k} distinct ones are
     * in. Not thread-safe: one block, one receiver thread.
     */
    public final class Decoder {

        private final byte[][] source = new byte[k][];
        private final int[] repairIds = new int[k];
        private final byte[][] repairs = new byte[k][];
        private int haveSource;
        private int haveRepair;

        /**
         * Adds a symbol; returns false when it is a duplicate or not needed any more. The array is kept, not copied.
         */
        public boolean add(int esi, byte[] symbol) {
            if (esi < 0 || esi > MAX_ESI || symbol.length != symbolSize || complete()) {
                return false;
            }
            if (esi < k) {
                if (source[esi] != null) {
                    return false;
                }
                source[esi] = symbol;
                haveSource++;
                return true;
            }
            for (int i = 0; i < haveRepair; i++) {
                if (repairIds[i] == esi) {
                    return false;
                }
            }
            if (haveSource + haveRepair >= k) {
                return false;
            }
            repairIds[haveRepair] = esi;
            repairs[haveRepair] = symbol;
            haveRepair++;
            return true;
        }

        /** Symbols still needed before the block can be rebuilt: the deficit a receiver reports. */
        public int deficit() {
            return Math.max(0, k - haveSource - haveRepair);
        }

        /** Whether every source symbol is present (received or rebuilt). */
        public boolean complete() {
            return haveSource == k;
        }

        /** Whether source symbol {@code j} is present. */
        public boolean hasSource(int j) {
            return source[j] != null;
        }

        /**
         * Rebuilds the missing source symbols from the repair symbols.
         *
         * @return the k source symbols
         * @throws IllegalStateException when fewer than k symbols are in
         */
        public byte[][] decode() {
            if (complete()) {
                return source;
            }
            if (deficit() > 0) {
                throw new IllegalStateException("block needs " + deficit() + " more symbol(s)");
            }
            int m = k - haveSource;
            int[] missing = new int[m];
            for (int j = 0, n = 0; j < k; j++) {
                if (source[j] == null) {
                    missing[n++] = j;
                }
            }
            // b_r = repair_r - sum over known j of C[r][j] * s_j
            byte[][] b = new byte[m][];
            for (int r = 0; r < m; r++) {
                b[r] = repairs[r].clone();
                for (int j = 0; j < k; j++) {
                    if (source[j] != null) {
                        Gf256.mulAdd(b[r], source[j], coefficient(repairIds[r], j), symbolSize);
                    }
                }
            }
            // solve C[rows][missing] * x = b by Gauss-Jordan on the m x m coefficient matrix, mirrored on b
            int[][] a = new int[m][m];
            for (int r = 0; r < m; r++) {
                for (int c = 0; c < m; c++) {
                    a[r][c] = coefficient(repairIds[r], missing[c]);
                }
            }
            for (int col = 0; col < m; col++) {
                int pivot = col;
                while (a[pivot][col] == 0) {
                    pivot++;
                }
                if (pivot != col) {
                    int[] t = a[pivot];
                    a[pivot] = a[col];
                    a[col] = t;
                    byte[] tb = b[pivot];
                    b[pivot] = b[col];
                    b[col] = tb;
                }
                int inv = Gf256.inverse(a[col][col]);
                if (inv != 1) {
                    for (int c = 0; c < m; c++) {
                        a[col][c] = Gf256.mul(a[col][c], inv);
                    }
                    Gf256.scale(b[col], inv, symbolSize);
                }
                for (int r = 0; r < m; r++) {
                    int f = a[r][col];
                    if (r != col && f != 0) {
                        for (int c = 0; c < m; c++) {
                            a[r][c] ^= Gf256.mul(f, a[col][c]);
                        }
                        Gf256.mulAdd(b[r], b[col], f, symbolSize);
                    }
                }
            }
            for (int i = 0; i < m; i++) {
                source[missing[i]] = b[i];
            }
            haveSource = k;
            haveRepair = 0;
            return source;
        }
    }
}
