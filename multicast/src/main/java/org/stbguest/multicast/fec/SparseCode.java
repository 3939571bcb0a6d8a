package org.stbguest.multicast.fec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A systematic random sparse binary code for large source blocks (up to {@value #MAX_K} symbols), used in feedback
 * mode where the cost of a transmission is set by the worst receiver of each block: the larger the block, the closer
 * that worst receiver's share is to the loss rate itself.
 *
 * <p>Symbol ids {@code 0..k-1} are the source symbols. A repair symbol is the XOR of {@code weight} distinct source
 * symbols chosen by a deterministic generator from (block, id, weight), so sender and receivers derive the same
 * rows from the 16-byte header alone, and any id gives a fresh repair symbol (a fountain: ids never run out). The
 * sender picks the weight per batch so that each row holds about {@value #DENSITY} of the source symbols the most
 * deficient receiver lacks: {@code weight = ceil(DENSITY * k / batch)}. Small batches therefore get dense rows, which
 * is what lets a last missing symbol always be covered.
 *
 * <p>The code is not MDS: a receiver that lacks {@code m} symbols needs {@code m} <em>independent</em> repair rows,
 * and a random binary row is independent of the ones before with probability {@code 1 - 2^-(m - rank)}: about 1.6
 * extra rows per block on average, whatever its size. The decoder tracks its exact rank, so the deficit it reports
 * is exactly what it still needs. Decoding is online Gaussian elimination over GF(2), restricted to the missing
 * symbols: about {@code m^2/2} symbol XORs per block, plus {@value #DENSITY} XORs per source symbol to take the
 * received sources out of the repair rows. For a Reed-Solomon-like guarantee on small blocks (any k symbols), see
 * {@link ReedSolomon}.
 */
public final class SparseCode {

    /** Largest source block. */
    public static final int MAX_K = 32768;
    /** Unknowns per row aimed at for the most deficient receiver. */
    public static final int DENSITY = 8;

    private final int k;
    private final int symbolSize;
    private final int words;

    public SparseCode(int k, int symbolSize) {
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("k must be 1.." + MAX_K + ", got " + k);
        }
        if (symbolSize < 1) {
            throw new IllegalArgumentException("symbol size must be positive");
        }
        this.k = k;
        this.symbolSize = symbolSize;
        this.words = (symbolSize + 7) / 8;
    }

    public int k() {
        return k;
    }

    public int symbolSize() {
        return symbolSize;
    }

    /**
     * The row weight for a batch of {@code batch} repair symbols of one block: about {@value #DENSITY} unknowns per
     * row for a receiver that lacks {@code batch} symbols, never more than half the block (a random half is the
     * densest useful row: rows of all k symbols would all be the same row), and always odd.
     */
    public static int weightFor(int k, int batch) {
        long w = ((long) DENSITY * k + Math.max(1, batch) - 1) / Math.max(1, batch);
        int weight = (int) Math.max(1, Math.min((k + 1) / 2, w));
        // odd: rows of even weight all lie in the even-weight subspace, so a box that lost every source of a block
        // could never get past rank k-1 from them
        if (weight % 2 == 0) {
            weight = weight + 1 <= (k + 1) / 2 ? weight + 1 : weight - 1;
        }
        return weight;
    }

    /** Deficits up to this many symbols are answered with {@value #TAIL_EXTRA} rows more ({@link #batchFor}). */
    public static final int TAIL = 4;
    /** Rows added to a small deficit. */
    public static final int TAIL_EXTRA = 3;

    /**
     * Rows to send for a largest reported deficit of {@code deficit}: the deficit itself, and for a last few symbols
     * {@value #TAIL_EXTRA} more. A box that lacks one of a few rows mostly lacks a particular source no row of its
     * system holds yet (a dense tail row holds it half the time) or has a dependent row (a fresh row is independent
     * half the time), and each round that does not finish it costs a feedback window and a report. Three more rows
     * take that from about one chance in two to one in thirteen, for three datagrams per block.
     */
    public static int batchFor(int deficit) {
        return deficit > 0 && deficit <= TAIL ? deficit + TAIL_EXTRA : deficit;
    }

    /**
     * The source symbols in repair row ({@code block}, {@code id}, {@code weight}): {@code weight} distinct indices in
     * {@code 0..k-1}, written to {@code out}, by Floyd's sampling over SplitMix64 (integer arithmetic only, so every
     * platform derives the same row).
     *
     * @param scratch a clear bit set of at least k bits; left clear
     */
    public static void row(int k, int block, int id, int weight, int[] out, BitSet scratch) {
        if (weight < 1 || weight > k) {
            throw new IllegalArgumentException("weight must be 1.." + k + ", got " + weight);
        }
        if (weight == k) {
            for (int i = 0; i < k; i++) {
                out[i] = i;
            }
            return;
        }
        long state = (block * 0x9E3779B97F4A7C15L) ^ ((long) id << 20) ^ weight ^ 0x5DEECE66DL;
        int n = 0;
        for (int j = k - weight; j < k; j++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            int t = (int) (((z >>> 32) * (j + 1L)) >>> 32);
            if (scratch.get(t)) {
                t = j;
            }
            scratch.set(t);
            out[n++] = t;
        }
        for (int i = 0; i < n; i++) {
            scratch.clear(out[i]);
        }
    }

    /** A block's source symbols in the code's working form (one {@code long[]} per symbol, zero-padded). */
    public long[][] prepare(byte[][] source) {
        long[][] out = new long[source.length][];
        for (int i = 0; i < source.length; i++) {
            out[i] = toWords(source[i]);
        }
        return out;
    }

    /** Repair symbol {@code id} (at least k) of block {@code block} with the given weight, into {@code out}. */
    public void encode(long[][] source, int block, int id, int weight, byte[] out, Scratch scratch) {
        if (id < k) {
            throw new IllegalArgumentException("repair symbol ids start at k=" + k + ", got " + id);
        }
        row(k, block, id, weight, scratch.indices, scratch.bits);
        long[] acc = scratch.acc;
        java.util.Arrays.fill(acc, 0L);
        for (int i = 0; i < weight; i++) {
            xor(acc, source[scratch.indices[i]]);
        }
        toBytes(acc, out);
    }

    /** Reusable working memory for one thread. */
    public Scratch scratch() {
        return new Scratch();
    }

    /** Per-thread buffers for row generation and encoding. */
    public final class Scratch {
        final int[] indices = new int[k];
        final BitSet bits = new BitSet(k);
        final long[] acc = new long[words];
    }

    long[] toWords(byte[] symbol) {
        long[] w = new long[words];
        toWords(symbol, w, 0);
        return w;
    }

    long[] toWords(java.nio.ByteBuffer symbol) {
        long[] w = new long[words];
        toWords(symbol, w, 0);
        return w;
    }

    /** As {@link #toWords(byte[], long[], int)}, from a buffer's position to its limit (neither changed). */
    void toWords(java.nio.ByteBuffer symbol, long[] dst, int offset) {
        int len = Math.min(symbol.remaining(), symbolSize);
        int at = symbol.position();
        int full = len / 8;
        // one bulk copy (a plain memory copy where the platform is little-endian), not a load per word
        ByteBuffer le = symbol.order() == ByteOrder.LITTLE_ENDIAN ? symbol
                : symbol.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        le.asLongBuffer().get(dst, offset, full);
        java.util.Arrays.fill(dst, offset + full, offset + words, 0L);
        for (int b = full * 8; b < len; b++) {
            dst[offset + b / 8] |= (symbol.get(at + b) & 0xFFL) << (8 * (b % 8));
        }
    }

    /** Little-endian longs in a byte array: compiled to plain 8-byte loads and stores. */
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Copies a symbol (possibly shorter than the symbol size: zero-padded) into {@code dst} at {@code offset}. */
    void toWords(byte[] symbol, long[] dst, int offset) {
        // a loop of 8-byte loads here: the encoder prepares every source of a block this way, and a view buffer's
        // bulk get on a heap array measured slower
        int len = Math.min(symbol.length, symbolSize);
        int full = len / 8;
        for (int i = 0; i < full; i++) {
            dst[offset + i] = (long) LONGS.get(symbol, i * 8);
        }
        java.util.Arrays.fill(dst, offset + full, offset + words, 0L);
        for (int b = full * 8; b < len; b++) {
            dst[offset + b / 8] |= (symbol[b] & 0xFFL) << (8 * (b % 8));
        }
    }

    void toBytes(long[] w, byte[] out) {
        toBytes(w, 0, out);
    }

    void toBytes(long[] w, int offset, byte[] out) {
        copyOut(w, offset, 0, out, 0, symbolSize);
    }

    /** Bytes {@code byteOff..byteOff+n} of the symbol at {@code src[wordBase..]} (little-endian words) into dst. */
    static void copyOut(long[] src, int wordBase, int byteOff, byte[] dst, int dstOff, int n) {
        int i = 0;
        for (; i < n && ((byteOff + i) & 7) != 0; i++) {
            dst[dstOff + i] = (byte) (src[wordBase + ((byteOff + i) >>> 3)] >>> (8 * ((byteOff + i) & 7)));
        }
        int word = wordBase + ((byteOff + i) >>> 3);
        for (; i + 8 <= n; i += 8) {
            LONGS.set(dst, dstOff + i, src[word++]);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = (byte) (src[wordBase + ((byteOff + i) >>> 3)] >>> (8 * ((byteOff + i) & 7)));
        }
    }

    static void xor(long[] dst, long[] src) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] ^= src[i];
        }
    }

    static void xor(long[] dst, long[] src, int offset) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] ^= src[offset + i];
        }
    }

    /** A decoder for block {@code block}. */
    public Decoder decoder(int block) {
        return new Decoder(block, null);
    }

    /**
     * A decoder for block {@code block} whose store is {@code memory} when that is at least the size this code needs
     * (a store that {@link Decoder#release()} gave back, perhaps a larger block's), else one of its own. A receiver
     * that reuses stores allocates one block's worth once instead of once per block (23 MiB at k = 16384), which the
     * garbage collector would otherwise copy about while the block is live. The old contents need no clearing: every
     * source slot is written before a decoder is complete, and none is read before it is written.
     */
    public Decoder decoder(int block, long[] memory) {
        return new Decoder(block, memory != null && memory.length >= storeLength() ? memory : null);
    }

    /** Words of a decoder's store for this code's blocks. */
    public long storeLength() {
        return (long) k * words;
    }

    /**
     * Collects one block's symbols in any order. Rows wait until there are as many as missing sources; then the
     * missing sources become the unknowns of a GF(2) system. Every further row joins it: an online elimination of the
     * rows' bits alone (no payloads) keeps the rank, hence the exact deficit, and keeps only rows that raise it. The
     * moment the rank is full the payloads are solved once, by peeling with inactivation (see {@link #solve}), which
     * costs a few payload additions per row rather than one per elimination step. Not thread-safe: one block, one
     * receiver thread.
     */
    public final class Decoder {

        private final int block;
        /** The block's sources, one after the other ({@code words} longs each): one array, not k small ones. */
        private long[] store;
        private final BitSet present = new BitSet(k);
        private int have;
        private final Set<Integer> repairIds = new HashSet<>();
        private List<int[]> pendingRows = new ArrayList<>();
        private List<long[]> pendingPayloads = new ArrayList<>();
        private final Scratch scratch = new Scratch();
        // the system, once built
        private int[] columnOf;
        private int[] sourceOf;
        private int unknowns;
        private int bitWords;
        /** Per column: the reduced bits of the kept row whose lowest bit it is (rank keeping only). */
        private long[][] pivotBits;
        private int rank;
        /** The kept rows, independent: their unknown columns and payloads (known sources taken out). */
        private List<int[]> rowColumns;
        private List<long[]> rowPayloads;
        private boolean complete;
        /** Its store given up ({@link #release()}): it takes and gives nothing any more. */
        private boolean released;

        private Decoder(int block, long[] store) {
            this.block = block;
            this.store = store;
        }

        /**
         * Adds a symbol (a source symbol when {@code id < k}, else a repair row of the given weight); returns false
         * when it is a duplicate, malformed or no longer needed.
         */
        public boolean add(int id, int weight, byte[] symbol) {
            return add(id, weight, java.nio.ByteBuffer.wrap(symbol));
        }

        /**
         * As {@link #add(int, int, byte[])}, the symbol being the bytes from {@code symbol}'s position to its limit
         * (neither is changed): a receiver passes a view of the datagram it read, and the symbol is copied once,
         * straight into the decoder's store.
         */
        public boolean add(int id, int weight, java.nio.ByteBuffer symbol) {
            if (complete || released || id < 0 || symbol.remaining() > symbolSize) {
                return false;
            }
            if (id < k) {
                if (present.get(id)) {
                    return false;
                }
                if (store == null) {
                    store = new long[k * words];
                }
                toWords(symbol, store, id * words);
                present.set(id);
                have++;
                if (columnOf != null && columnOf[id] >= 0) {
                    long[] bits = new long[bitWords];
                    int c = columnOf[id];
                    bits[c >>> 6] |= 1L << c;
                    keep(bits, new int[] {c}, java.util.Arrays.copyOfRange(store, id * words, (id + 1) * words));
                } else if (have == k) {
                    complete = true;
                } else if (columnOf == null && !pendingRows.isEmpty() && pendingRows.size() >= k - have) {
                    build(); // the waiting rows are now as many as the sources still missing
                }
                maybeSolve();
                return true;
            }
            if (weight < 1 || weight > k || symbol.remaining() != symbolSize || !repairIds.add(id)) {
                return false;
            }
            long[] payload = toWords(symbol);
            if (columnOf == null) {
                int[] row = new int[weight];
                row(k, block, id, weight, scratch.indices, scratch.bits);
                System.arraycopy(scratch.indices, 0, row, 0, weight);
                pendingRows.add(row);
                pendingPayloads.add(payload);
                if (pendingRows.size() >= k - have) {
                    build();
                }
            } else {
                row(k, block, id, weight, scratch.indices, scratch.bits);
                join(scratch.indices, weight, payload);
            }
            maybeSolve();
            return true;
        }

        /**
         * Gives up the store (null if there is none) for a later decoder of this code's shape; this decoder is done
         * with: it takes no more symbols and copies nothing out.
         */
        public long[] release() {
            long[] s = store;
            store = null;
            released = true;
            complete = false;
            pivotBits = null;
            rowColumns = null;
            rowPayloads = null;
            pendingRows = null;
            pendingPayloads = null;
            return s;
        }

        /** Independent symbols still needed before the block can be rebuilt: the deficit a receiver reports. */
        public int deficit() {
            if (complete || released) {
                return 0;
            }
            if (columnOf == null) {
                return Math.max(0, k - have - pendingRows.size());
            }
            return unknowns - rank;
        }

        /** Whether every source symbol is present, received or rebuilt. */
        public boolean complete() {
            return complete;
        }

        /** The k source symbols, each {@code symbolSize} bytes (zero-padded); only once complete. */
        public byte[][] decode() {
            if (!complete) {
                throw new IllegalStateException(released ? "decoder released"
                        : "block needs " + deficit() + " more symbol(s)");
            }
            byte[][] out = new byte[k][symbolSize];
            for (int i = 0; i < k; i++) {
                toBytes(store, i * words, out[i]);
            }
            return out;
        }

        /**
         * Copies {@code len} bytes of the rebuilt block, {@code from} bytes into it, to {@code dst}: straight from the
         * decoder's working store, without {@link #decode()}'s copy of the whole block. Only once complete.
         */
        public void copyTo(long from, byte[] dst, int dstOff, int len) {
            if (!complete) {
                throw new IllegalStateException(released ? "decoder released"
                        : "block needs " + deficit() + " more symbol(s)");
            }
            if (from < 0 || len < 0 || from + len > (long) k * symbolSize) {
                throw new IndexOutOfBoundsException("bytes " + from + "+" + len + " of a block of " + k + " symbols");
            }
            BlockCode.copyAcrossSymbols(symbolSize, from, dst, dstOff, len,
                    (symbol, within, to, at, n) -> copyOut(store, symbol * words, within, to, at, n));
        }

        private void build() {
            unknowns = k - have;
            columnOf = new int[k];
            sourceOf = new int[unknowns];
            if (store == null) {
                store = new long[k * words];
            }
            for (int i = 0, c = 0; i < k; i++) {
                if (!present.get(i)) {
                    columnOf[i] = c;
                    sourceOf[c++] = i;
                } else {
                    columnOf[i] = -1;
                }
            }
            bitWords = (unknowns + 63) >>> 6;
            pivotBits = new long[unknowns][];
            rowColumns = new ArrayList<>(unknowns);
            rowPayloads = new ArrayList<>(unknowns);
            // take the received sources out of the waiting rows source by source, not row by row: each source is
            // read once, in order, while the rows (about m symbols) stay in cache
            int rows = pendingRows.size();
            long[][] bits = new long[rows][bitWords];
            int[] start = new int[k + 1];
            for (int r = 0; r < rows; r++) {
                for (int s : pendingRows.get(r)) {
                    if (present.get(s)) {
                        start[s + 1]++;
                    } else {
                        int c = columnOf[s];
                        bits[r][c >>> 6] ^= 1L << c;
                    }
                }
            }
            for (int i = 0; i < k; i++) {
                start[i + 1] += start[i];
            }
            int[] fill = start.clone();
            int[] rowsOf = new int[start[k]];
            for (int r = 0; r < rows; r++) {
                for (int s : pendingRows.get(r)) {
                    if (present.get(s)) {
                        rowsOf[fill[s]++] = r;
                    }
                }
            }
            for (int s = 0; s < k; s++) {
                for (int e = start[s]; e < start[s + 1]; e++) {
                    xor(pendingPayloads.get(rowsOf[e]), store, s * words);
                }
            }
            for (int r = 0; r < rows; r++) {
                int[] row = pendingRows.get(r);
                int n = 0;
                for (int s : row) {
                    if (!present.get(s)) {
                        n++;
                    }
                }
                int[] columns = new int[n];
                n = 0;
                for (int s : row) {
                    if (!present.get(s)) {
                        columns[n++] = columnOf[s];
                    }
                }
                keep(bits[r], columns, pendingPayloads.get(r));
            }
            pendingRows = null;
            pendingPayloads = null;
        }

        /** Takes the known sources out of a row and adds what is left to the system. */
        private void join(int[] row, int weight, long[] payload) {
            long[] bits = new long[bitWords];
            int n = 0;
            for (int i = 0; i < weight; i++) {
                int s = row[i];
                if (present.get(s)) {
                    xor(payload, store, s * words);
                } else {
                    int c = columnOf[s];
                    bits[c >>> 6] ^= 1L << c;
                    n++;
                }
            }
            int[] columns = new int[n];
            n = 0;
            for (int i = 0; i < weight; i++) {
                if (!present.get(row[i])) {
                    columns[n++] = columnOf[row[i]];
                }
            }
            keep(bits, columns, payload);
        }

        /** Keeps a row (its unknown columns, as bits and as a list, and its payload) if it raises the rank. */
        private void keep(long[] bits, int[] columns, long[] payload) {
            if (insert(bits)) {
                rowColumns.add(columns);
                rowPayloads.add(payload);
            }
        }

        /**
         * Online elimination of the bits alone: reduces them by the pivots of their lowest bits until one is free
         * (the row raises the rank: true) or nothing is left (it depends on the kept rows: false). {@code bits} is
         * used up.
         */
        private boolean insert(long[] bits) {
            if (eliminate(bits, null, pivotBits, null, bitWords) < 0) {
                return false;
            }
            rank++;
            return true;
        }

        private void maybeSolve() {
            if (complete || columnOf == null || rank < unknowns) {
                return;
            }
            if (have < k) { // else every missing source has arrived since: the store is whole already
                long[][] values = solve(unknowns, bitWords, rowColumns, rowPayloads);
                for (int c = 0; c < unknowns; c++) {
                    System.arraycopy(values[c], 0, store, sourceOf[c] * words, words);
                }
            }
            have = k;
            complete = true;
            pivotBits = null;
            rowColumns = null;
            rowPayloads = null;
        }
    }

    /**
     * Gaussian elimination of one row: reduces {@code bits} (and {@code payload}, when not null) by the pivot rows of
     * its lowest bits until it has a bit with no pivot, whose pivot it becomes (that column is returned), or no bit is
     * left (-1: it depended on the pivots). Pivot rows have no bits below their own column.
     */
    static int eliminate(long[] bits, long[] payload, long[][] pivotBits, long[][] pivotPayload, int bitWords) {
        int w = 0;
        while (true) {
            while (w < bitWords && bits[w] == 0) {
                w++;
            }
            if (w == bitWords) {
                return -1;
            }
            int c = (w << 6) + Long.numberOfTrailingZeros(bits[w]);
            if (pivotBits[c] == null) {
                pivotBits[c] = bits;
                if (payload != null) {
                    pivotPayload[c] = payload;
                }
                return c;
            }
            long[] p = pivotBits[c];
            for (int i = w; i < bitWords; i++) {
                bits[i] ^= p[i];
            }
            if (payload != null) {
                xor(payload, pivotPayload[c]);
            }
        }
    }

    private static final byte ACTIVE = 0;
    private static final byte SOLVED = 1;
    private static final byte INACTIVE = 2;

    /**
     * Solves {@code u} independent rows over {@code u} unknowns (each row: its unknown columns and its payload, which
     * is used up) by peeling with inactivation, as RaptorQ decoders do. A row left with one unknown (active) column
     * gives that column: the row is taken out of every other row holding the column (one payload addition each, as
     * the rows are sparse). When no such row is left, the row with the fewest active columns keeps one and the others
     * become "inactive": set aside as bits of a small dense system. The rows never used for peeling hold only
     * inactive columns at the end; that system is solved by Gaussian elimination, and each peeled column is then its
     * row's payload plus the inactive columns its row has gathered. The payload additions are about the rows'
     * weight plus the inactive columns per row, where eliminating in place costs about half the unknowns per row.
     *
     * @return the value of each column
     */
    static long[][] solve(int u, int bitWords, List<int[]> rowColumns, List<long[]> rowPayloads) {
        int n = rowColumns.size();
        if (n != u) {
            throw new IllegalStateException(n + " rows for " + u + " unknowns");
        }
        int[] start = new int[u + 1];
        for (int[] columns : rowColumns) {
            for (int c : columns) {
                start[c + 1]++;
            }
        }
        for (int c = 0; c < u; c++) {
            start[c + 1] += start[c];
        }
        int[] rowsOf = new int[start[u]];
        int[] fill = start.clone();
        int[] degree = new int[n];
        int[] queue = new int[n];
        int head = 0;
        int tail = 0;
        for (int r = 0; r < n; r++) {
            int[] columns = rowColumns.get(r);
            for (int c : columns) {
                rowsOf[fill[c]++] = r;
            }
            degree[r] = columns.length;
            if (degree[r] == 1) {
                queue[tail++] = r;
            }
        }
        long[][] inactiveBits = new long[n][bitWords];
        byte[] state = new byte[u];
        int[] solvedBy = new int[u];
        boolean[] used = new boolean[n];
        int active = u;
        while (active > 0) {
            if (head < tail) {
                int r = queue[head++];
                if (used[r] || degree[r] != 1) {
                    continue; // its last active column went another way meanwhile
                }
                int c = -1;
                for (int column : rowColumns.get(r)) {
                    if (state[column] == ACTIVE) {
                        c = column;
                        break;
                    }
                }
                used[r] = true;
                state[c] = SOLVED;
                solvedBy[c] = r;
                active--;
                long[] payload = rowPayloads.get(r);
                long[] bits = inactiveBits[r];
                for (int e = start[c]; e < start[c + 1]; e++) {
                    int other = rowsOf[e];
                    if (other != r && !used[other]) {
                        xor(rowPayloads.get(other), payload);
                        long[] otherBits = inactiveBits[other];
                        for (int w = 0; w < bitWords; w++) {
                            otherBits[w] ^= bits[w];
                        }
                        if (--degree[other] == 1) {
                            queue[tail++] = other;
                        }
                    }
                }
            } else {
                int best = -1;
                for (int r = 0; r < n; r++) {
                    if (!used[r] && degree[r] >= 2 && (best < 0 || degree[r] < degree[best])) {
                        best = r;
                    }
                }
                if (best < 0) {
                    throw new IllegalStateException("active columns in no row: the rows are not independent");
                }
                boolean kept = false;
                for (int c : rowColumns.get(best)) {
                    if (state[c] != ACTIVE) {
                        continue;
                    }
                    if (!kept) {
                        kept = true;
                        continue;
                    }
                    state[c] = INACTIVE;
                    active--;
                    for (int e = start[c]; e < start[c + 1]; e++) {
                        int other = rowsOf[e];
                        if (!used[other]) {
                            inactiveBits[other][c >>> 6] ^= 1L << c;
                            if (--degree[other] == 1) {
                                queue[tail++] = other;
                            }
                        }
                    }
                }
            }
        }
        // the rows not used for peeling: a dense system over the inactive columns, by elimination and back substitution
        long[][] values = new long[u][];
        long[][] pivotBits = new long[u][];
        long[][] pivotPayload = new long[u][];
        for (int r = 0; r < n; r++) {
            if (used[r]) {
                continue;
            }
            if (eliminate(inactiveBits[r], rowPayloads.get(r), pivotBits, pivotPayload, bitWords) < 0) {
                throw new IllegalStateException("dependent rows in the inactive system");
            }
        }
        for (int c = u - 1; c >= 0; c--) {
            if (state[c] != INACTIVE) {
                continue;
            }
            long[] bits = pivotBits[c];
            if (bits == null) {
                throw new IllegalStateException("inactive column " + c + " has no row");
            }
            long[] payload = pivotPayload[c];
            int startWord = c >>> 6;
            for (int w = startWord; w < bitWords; w++) {
                long word = bits[w];
                if (w == startWord) {
                    word &= ~((2L << (c & 63)) - 1); // only bits above c
                }
                while (word != 0) {
                    int other = (w << 6) + Long.numberOfTrailingZeros(word);
                    word &= word - 1;
                    xor(payload, values[other]);
                }
            }
            values[c] = payload;
        }
        for (int c = 0; c < u; c++) {
            if (state[c] == SOLVED) {
                int r = solvedBy[c];
                long[] payload = rowPayloads.get(r);
                long[] bits = inactiveBits[r];
                for (int w = 0; w < bitWords; w++) {
                    long word = bits[w];
                    while (word != 0) {
                        int other = (w << 6) + Long.numberOfTrailingZeros(word);
                        word &= word - 1;
                        xor(payload, values[other]);
                    }
                }
                values[c] = payload;
            }
        }
        return values;
    }
}
