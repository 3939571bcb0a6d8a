package org.stbguest.multicast.wire;

import java.util.Arrays;

/**
 * One symbol of a transmission: symbol {@code symbolId} of source block {@code sourceBlock}. Ids below the block's
 * k (known from the layout, not carried) are source symbols, image bytes as they are; the others are repair symbols
 * of the transmission's erasure code, where {@code weight} is the row weight of the large-block code (0 for source
 * symbols and for Reed-Solomon repair). The transmission id is the low 32 bits of the server's id (see
 * {@link #wireId}). The payload is a copy owned by the frame.
 */
public record DataFrame(long transmissionId, int sourceBlock, int symbolId, int weight, byte[] payload)
        implements Frame {

    /** Largest block number and symbol id: 24 bits on the wire. */
    public static final int MAX_BLOCK = (1 << 24) - 1;
    public static final int MAX_SYMBOL_ID = (1 << 24) - 1;
    /** Largest row weight: 16 bits. */
    public static final int MAX_WEIGHT = 0xFFFF;

    public DataFrame {
        if (transmissionId < 0 || transmissionId > 0xFFFF_FFFFL || sourceBlock < 0 || sourceBlock > MAX_BLOCK
                || symbolId < 0 || symbolId > MAX_SYMBOL_ID || weight < 0 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("tx " + transmissionId + " block " + sourceBlock + " symbol " + symbolId
                    + " weight " + weight);
        }
        if (payload == null || payload.length == 0 || payload.length > WireFormat.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload must be 1.." + WireFormat.MAX_PAYLOAD + " bytes");
        }
    }

    /** The 32 bits of a transmission id that data frames carry. */
    public static long wireId(long transmissionId) {
        return transmissionId & 0xFFFF_FFFFL;
    }

    @Override
    public Kind kind() {
        return Kind.DATA;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataFrame d && d.transmissionId == transmissionId && d.sourceBlock == sourceBlock
                && d.symbolId == symbolId && d.weight == weight && Arrays.equals(d.payload, payload);
    }

    @Override
    public int hashCode() {
        return (Long.hashCode(transmissionId) * 31 + sourceBlock) * 257 + symbolId;
    }

    @Override
    public String toString() {
        return "DataFrame[tx=" + transmissionId + " block=" + sourceBlock + " symbol=" + symbolId + " weight=" + weight
                + " len=" + payload.length + "]";
    }
}
