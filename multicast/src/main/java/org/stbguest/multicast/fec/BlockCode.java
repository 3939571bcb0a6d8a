package org.stbguest.multicast.fec;

/**
 * The erasure code of one source block, as sender and receiver use it. A transmission's block size picks the code:
 * up to {@value #REED_SOLOMON_MAX_K} symbols per block, {@link ReedSolomon} (MDS: any k symbols rebuild the block; the
 * code for the no-return-path carousel, where late joiners rebuild whole blocks from repair symbols); above that,
 * {@link SparseCode} (blocks of thousands of symbols, for feedback mode, where the worst receiver per block sets the
 * cost and only large blocks bring that close to the loss rate).
 */
public interface BlockCode {

    /** Largest block of the Reed-Solomon code. */
    int REED_SOLOMON_MAX_K = 128;
    /** Largest block of any code. */
    int MAX_K = SparseCode.MAX_K;

    /** The code of a block of {@code k} source symbols in a transmission with blocks of {@code blockSymbols}. */
    static BlockCode of(int blockSymbols, int k, int symbolSize) {
        if (blockSymbols < 1 || blockSymbols > MAX_K || k < 1 || k > blockSymbols) {
            throw new IllegalArgumentException("block of " + k + " in blocks of " + blockSymbols);
        }
        return blockSymbols <= REED_SOLOMON_MAX_K ? new Rs(new ReedSolomon(k, symbolSize))
                : new Sparse(new SparseCode(k, symbolSize));
    }

    int k();

    /** The row weight to put on the wire for a batch of {@code batch} repair symbols (0 where the code has none). */
    int weightFor(int batch);

    /**
     * Repair symbols to send for a largest reported deficit of {@code deficit} (before a plan's proactive share): the
     * deficit, where any symbols will do (an MDS code).
     */
    default int batchFor(int deficit) {
        return deficit;
    }

    /** Highest loss rate {@link #withLossMargin} believes: above it, a box is not losing symbols but joined late. */
    double MAX_LOSS_ESTIMATE = 0.3;

    /**
     * Rows to send so that the neediest box of a fleet of {@code boxes} (those the sender has heard from), which needs
     * {@code rows} of them and loses a share {@code loss} of what is sent, still gets them in one round, most of the
     * time. Without a margin each round left the box short by about its loss rate, and the next round by that again:
     * at 5% a block took three rounds (each a feedback window and a report, and a round's work for the encoder and
     * every decoder) where one or two now do.
     * <ul>
     *   <li>One box: {@code (rows + sqrt(rows * loss)) / (1 - loss)}, the mean of its losses and one standard
     *       deviation more (simulated at 5%: 1.4 rounds per block instead of 3.1, no more symbols in all).</li>
     *   <li>Several: {@code rows / (1 - loss)}, the mean alone. The largest deficit is already the top of their spread,
     *       and what still takes a second round is mostly a missing source that no row of the round happened to hold,
     *       which no margin of rows cures (simulated at 16 boxes: 2.1 rounds instead of 3.1 either way, and the mean
     *       costs 0.03% more symbols where the standard deviation cost 0.07%).</li>
     * </ul>
     *
     * @param loss the share of symbols the neediest box lost (0 for none, or unknown), at most
     *             {@link #MAX_LOSS_ESTIMATE}
     */
    static int withLossMargin(int rows, double loss, int boxes) {
        if (rows <= 0 || !(loss > 0)) {
            return Math.max(0, rows);
        }
        double p = Math.min(loss, MAX_LOSS_ESTIMATE);
        double spread = boxes <= 1 ? Math.sqrt(rows * p) : 0;
        return (int) Math.ceil((rows + spread) / (1 - p));
    }

    /** The repair id after {@code id}: ids wrap where the code has only so many. */
    int nextId(int id);

    /**
     * Whether the sender sends this code's sources again itself: true for the large-block code, whose id sequence
     * ({@link #firstId()}, {@link #nextId}) holds repair rows only, and where rebuilding much of a block from rows is
     * slow, so every carousel cycle repeats the sources and a deficit of a quarter block or more (a late joiner) is
     * answered with sources. Reed-Solomon's id sequence starts with the sources and rebuilds any block cheaply.
     */
    boolean resendsSources();

    /** The first id of the block's sequence: 0 (sources first) or k (repair only). */
    default int firstId() {
        return resendsSources() ? k() : 0;
    }

    /** An encoder of block {@code block}, whose k source symbols (zero-padded to the symbol size) are given. */
    Encoder encoder(int block, byte[][] source);

    /** A decoder of block {@code block}. */
    Decoder decoder(int block);

    /**
     * A decoder of block {@code block} that may take over {@code memory}: what {@link Decoder#release()} gave back
     * from an earlier decoder (null: none). Memory of the wrong size, or a code with no use for it, is left alone.
     */
    default Decoder decoder(int block, long[] memory) {
        return decoder(block);
    }

    /** Words of working store a decoder of this code can take over ({@link #decoder(int, long[])}); 0: none. */
    default long storeLength() {
        return 0;
    }

    /** Makes repair symbols of one block. Not thread-safe. */
    interface Encoder {
        void repair(int id, int weight, byte[] out);
    }

    /** Collects one block's symbols. Not thread-safe. */
    interface Decoder {

        /** Adds a symbol (source ids are below k; sources zero-padded); false if a duplicate, malformed or not needed. */
        default boolean add(int id, int weight, byte[] symbol) {
            return add(id, weight, java.nio.ByteBuffer.wrap(symbol));
        }

        /**
         * Adds the symbol from {@code symbol}'s position to its limit (a view of the datagram; position and limit are
         * not changed). A source symbol may be shorter than the symbol size (the image's last): it is zero-padded.
         */
        boolean add(int id, int weight, java.nio.ByteBuffer symbol);

        /** Symbols still needed: what a receiver reports. */
        int deficit();

        /** Whether the block can be handed out by {@link #decode()}. */
        boolean complete();

        /** The k source symbols, each a full symbol (zero-padded); only once complete. */
        byte[][] decode();

        /**
         * Copies {@code len} bytes of the rebuilt block, {@code from} bytes into it (its symbols one after the other),
         * to {@code dst}; only once complete. A complete decoder no longer changes, so another thread may copy from it
         * once it has been handed over (through an executor, say).
         */
        void copyTo(long from, byte[] dst, int dstOff, int len);

        /**
         * Gives up the decoder's working memory for a later decoder ({@link BlockCode#decoder(int, long[])}), or null
         * where it has none worth keeping. The decoder must not be used afterwards, nor any copy still be reading from
         * it: a receiver releases a block once every chunk that overlaps it has been copied out.
         */
        default long[] release() {
            return null;
        }
    }

    /** Copies {@code n} bytes of one symbol, from byte {@code within} of it, to {@code dst} at {@code dstOff}. */
    @FunctionalInterface
    interface SymbolCopy {
        void copy(int symbol, int within, byte[] dst, int dstOff, int n);
    }

    /**
     * Cuts a copy of bytes {@code from..from+len} of a block (its symbols of {@code symbolSize} bytes one after the
     * other) into per-symbol pieces.
     */
    static void copyAcrossSymbols(int symbolSize, long from, byte[] dst, int dstOff, int len, SymbolCopy copy) {
        while (len > 0) {
            int symbol = (int) (from / symbolSize);
            int within = (int) (from % symbolSize);
            int n = Math.min(len, symbolSize - within);
            copy.copy(symbol, within, dst, dstOff, n);
            from += n;
            dstOff += n;
            len -= n;
        }
    }

    /** {@link ReedSolomon} behind this interface. */
    record Rs(ReedSolomon code) implements BlockCode {

        @Override
        public int k() {
            return code.k();
        }

        @Override
        public int weightFor(int batch) {
            return 0;
        }

        @Override
        public int nextId(int id) {
            return id >= ReedSolomon.MAX_ESI ? code.k() : id + 1;
        }

        @Override
        public boolean resendsSources() {
            return false;
        }

        @Override
        public Encoder encoder(int block, byte[][] source) {
            return (id, weight, out) -> code.encode(source, id, out);
        }

        @Override
        public Decoder decoder(int block) {
            ReedSolomon.Decoder d = code.decoder();
            int symbolSize = code.symbolSize();
            return new Decoder() {
                private byte[][] decoded;

                @Override
                public boolean add(int id, int weight, java.nio.ByteBuffer symbol) {
                    if (weight != 0 || symbol.remaining() > symbolSize
                            || id >= code.k() && symbol.remaining() != symbolSize) {
                        return false;
                    }
                    byte[] bytes = new byte[symbolSize]; // zero-padded
                    symbol.duplicate().get(bytes, 0, symbol.remaining());
                    return d.add(id, bytes);
                }

                @Override
                public int deficit() {
                    return d.deficit();
                }

                @Override
                public boolean complete() {
                    return d.deficit() == 0;
                }

                @Override
                public byte[][] decode() {
                    return d.decode();
                }

                @Override
                public synchronized void copyTo(long from, byte[] dst, int dstOff, int len) {
                    if (decoded == null) {
                        decoded = d.decode();
                    }
                    byte[][] symbols = decoded;
                    copyAcrossSymbols(symbolSize, from, dst, dstOff, len,
                            (symbol, within, to, at, n) -> System.arraycopy(symbols[symbol], within, to, at, n));
                }
            };
        }
    }

    /** {@link SparseCode} behind this interface. */
    record Sparse(SparseCode code) implements BlockCode {

        @Override
        public int k() {
            return code.k();
        }

        @Override
        public int weightFor(int batch) {
            return SparseCode.weightFor(code.k(), batch);
        }

        @Override
        public int batchFor(int deficit) {
            return SparseCode.batchFor(deficit);
        }

        @Override
        public int nextId(int id) {
            return id >= (1 << 24) - 1 ? code.k() : id + 1;
        }

        @Override
        public boolean resendsSources() {
            return true;
        }

        @Override
        public Encoder encoder(int block, byte[][] source) {
            long[][] words = code.prepare(source);
            SparseCode.Scratch scratch = code.scratch();
            return (id, weight, out) -> code.encode(words, block, id, weight, out, scratch);
        }

        @Override
        public Decoder decoder(int block) {
            return decoder(block, null);
        }

        @Override
        public long storeLength() {
            return code.storeLength();
        }

        @Override
        public Decoder decoder(int block, long[] memory) {
            SparseCode.Decoder d = code.decoder(block, memory);
            return new Decoder() {
                @Override
                public boolean add(int id, int weight, java.nio.ByteBuffer symbol) {
                    return d.add(id, weight, symbol);
                }

                @Override
                public int deficit() {
                    return d.deficit();
                }

                @Override
                public boolean complete() {
                    return d.complete();
                }

                @Override
                public byte[][] decode() {
                    return d.decode();
                }

                @Override
                public void copyTo(long from, byte[] dst, int dstOff, int len) {
                    d.copyTo(from, dst, dstOff, len);
                }

                @Override
                public long[] release() {
                    return d.release();
                }
            };
        }
    }
}
