package org.stbguest.multicast;

/**
 * How an image is cut for the erasure code: {@code symbolSize}-byte source symbols (the last one shorter), grouped in
 * source blocks of {@code blockSymbols} (the last block possibly smaller). Sender and receiver derive everything from
 * the image size and these two numbers.
 */
public record BlockLayout(long imageSize, int symbolSize, int blockSymbols) {

    public BlockLayout {
        if (imageSize < 0 || symbolSize < 1 || blockSymbols < 1 || blockSymbols > org.stbguest.multicast.fec.BlockCode.MAX_K) {
            throw new IllegalArgumentException("bad layout: size " + imageSize + ", symbol " + symbolSize + ", k " + blockSymbols);
        }
    }

    /** Source symbols in the image (at least one, so an empty image still has a block). */
    public int symbols() {
        return Math.toIntExact(Math.max(1, (imageSize + symbolSize - 1) / symbolSize));
    }

    public int blocks() {
        return (symbols() + blockSymbols - 1) / blockSymbols;
    }

    /** Source symbols in block {@code b}. */
    public int k(int b) {
        return Math.min(blockSymbols, symbols() - b * blockSymbols);
    }

    /** Bytes of source symbol {@code j} of block {@code b} that are image bytes (the rest is zero padding). */
    public int symbolLength(int b, int j) {
        long start = symbolOffset(b, j);
        return (int) Math.max(0, Math.min(symbolSize, imageSize - start));
    }

    /** Offset in the image of source symbol {@code j} of block {@code b}. */
    public long symbolOffset(int b, int j) {
        return ((long) b * blockSymbols + j) * symbolSize;
    }

    /** Offset of the first byte of block {@code b}. */
    public long blockStart(int b) {
        return symbolOffset(b, 0);
    }

    /** One past the last image byte of block {@code b}. */
    public long blockEnd(int b) {
        return Math.min(imageSize, symbolOffset(b, k(b)));
    }

    /** The block holding image byte {@code offset}. */
    public int blockOf(long offset) {
        return (int) (offset / ((long) blockSymbols * symbolSize));
    }
}
