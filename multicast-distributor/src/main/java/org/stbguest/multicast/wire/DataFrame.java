package org.stbguest.multicast.wire;

import java.util.Arrays;

/**
 * One symbol of an image: bytes {@code [index * symbolSize, ...)} of the transmission's image. The payload is a copy
 * owned by the frame, so no buffer outlives the decoder.
 */
public record DataFrame(long transmissionId, int symbolIndex, int symbolCount, byte[] payload) implements Frame {

    public DataFrame {
        if (symbolIndex < 0 || symbolCount <= 0 || symbolIndex >= symbolCount) {
            throw new IllegalArgumentException("symbol " + symbolIndex + " of " + symbolCount);
        }
        if (payload == null || payload.length == 0 || payload.length > WireFormat.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload must be 1.." + WireFormat.MAX_PAYLOAD + " bytes");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataFrame d && d.transmissionId == transmissionId && d.symbolIndex == symbolIndex
                && d.symbolCount == symbolCount && Arrays.equals(d.payload, payload);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(transmissionId) * 31 + symbolIndex;
    }

    @Override
    public String toString() {
        return "DataFrame[tx=" + transmissionId + " symbol=" + symbolIndex + "/" + symbolCount + " len=" + payload.length + "]";
    }

    @Override
    public Kind kind() {
        return Kind.DATA;
    }
}
