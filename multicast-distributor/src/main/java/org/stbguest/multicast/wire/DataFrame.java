package org.stbguest.multicast.wire;

import java.util.Arrays;

/**
 * One symbol of a transmission: symbol {@code symbolId} of source block {@code sourceBlock}, a block of
 * {@code blockSymbols} source symbols. Ids below {@code blockSymbols} are source symbols (image bytes as they are);
 * the others are Reed-Solomon repair symbols. The payload is a copy owned by the frame.
 */
public record DataFrame(long transmissionId, int sourceBlock, int symbolId, int blockSymbols, byte[] payload)
        implements Frame {

    /** Largest source block. */
    public static final int MAX_BLOCK_SYMBOLS = 128;
    /** Largest symbol id. */
    public static final int MAX_SYMBOL_ID = 255;

    public DataFrame {
        if (sourceBlock < 0 || symbolId < 0 || symbolId > MAX_SYMBOL_ID || blockSymbols < 1
                || blockSymbols > MAX_BLOCK_SYMBOLS) {
            throw new IllegalArgumentException("symbol " + symbolId + " of block " + sourceBlock + " (k=" + blockSymbols + ")");
        }
        if (payload == null || payload.length == 0 || payload.length > WireFormat.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload must be 1.." + WireFormat.MAX_PAYLOAD + " bytes");
        }
    }

    /** Whether this is a source symbol (as opposed to a repair symbol). */
    public boolean isSource() {
        return symbolId < blockSymbols;
    }

    @Override
    public Kind kind() {
        return Kind.DATA;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataFrame d && d.transmissionId == transmissionId && d.sourceBlock == sourceBlock
                && d.symbolId == symbolId && d.blockSymbols == blockSymbols && Arrays.equals(d.payload, payload);
    }

    @Override
    public int hashCode() {
        return (Long.hashCode(transmissionId) * 31 + sourceBlock) * 257 + symbolId;
    }

    @Override
    public String toString() {
        return "DataFrame[tx=" + transmissionId + " block=" + sourceBlock + " symbol=" + symbolId + "/" + blockSymbols
                + " len=" + payload.length + "]";
    }
}
