package org.stbguest.multicast.wire;

import java.net.Inet4Address;
import org.stbguest.image.Digest;

/**
 * A transmission announcement on the control group: which image is on the air, on which data group and port, and
 * how it is cut into symbols. Unsigned in v1, so a box treats it only as a hint to check in now; what a box stages
 * is decided by its authenticated check-in and the signed manifest.
 */
public record AnnounceFrame(long transmissionId, Digest rootDigest, Inet4Address dataGroup, int dataPort,
                            long imageSize, int symbolSize) implements Frame {

    public AnnounceFrame {
        if (rootDigest == null || dataGroup == null) {
            throw new IllegalArgumentException("root digest and data group are required");
        }
        if (!dataGroup.isMulticastAddress()) {
            throw new IllegalArgumentException("data group must be a multicast address: " + dataGroup);
        }
        if (dataPort < 1 || dataPort > 65535 || imageSize < 0 || symbolSize < 1 || symbolSize > WireFormat.MAX_PAYLOAD) {
            throw new IllegalArgumentException("bad announce fields: port " + dataPort + ", size " + imageSize
                    + ", symbol size " + symbolSize);
        }
    }

    @Override
    public Kind kind() {
        return Kind.ANNOUNCE;
    }
}
