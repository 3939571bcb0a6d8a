package org.stbguest.multicast;

import java.net.Inet4Address;
import java.time.Duration;
import org.stbguest.image.Digest;

/**
 * How one image goes on the air: its data group and port, the control group where it is announced, the symbol size
 * and source block size of the erasure code, the proactive repair ratio (repair symbols sent per source symbol with
 * every block), the rate (a cable channel has a fixed bit rate) and the carousel bounds (cycles and total time), so
 * every transmission stops by itself.
 */
public record TransmissionPlan(long transmissionId, Digest rootDigest, Inet4Address dataGroup, int dataPort,
                               Inet4Address controlGroup, int controlPort, int symbolSize, int blockSymbols,
                               double repairRatio, long rateBitsPerSecond, int maxCycles, Duration maxDuration,
                               boolean feedback, Duration feedbackWindow) {

    /** A plan without a return path: carousel with proactive repair only, as broadcast networks need. */
    public TransmissionPlan(long transmissionId, Digest rootDigest, Inet4Address dataGroup, int dataPort,
                            Inet4Address controlGroup, int controlPort, int symbolSize, int blockSymbols,
                            double repairRatio, long rateBitsPerSecond, int maxCycles, Duration maxDuration) {
        this(transmissionId, rootDigest, dataGroup, dataPort, controlGroup, controlPort, symbolSize, blockSymbols,
                repairRatio, rateBitsPerSecond, maxCycles, maxDuration, false, Duration.ofMillis(200));
    }

    /** This plan in feedback mode: after the first cycle, rounds of the largest reported deficit per block. */
    public TransmissionPlan withFeedback(Duration window) {
        return new TransmissionPlan(transmissionId, rootDigest, dataGroup, dataPort, controlGroup, controlPort,
                symbolSize, blockSymbols, repairRatio, rateBitsPerSecond, maxCycles, maxDuration, true, window);
    }

    public TransmissionPlan {
        if (!dataGroup.isMulticastAddress() || !controlGroup.isMulticastAddress()) {
            throw new IllegalArgumentException("data and control groups must be multicast addresses");
        }
        if (blockSymbols < 1 || blockSymbols > org.stbguest.multicast.fec.BlockCode.MAX_K) {
            throw new IllegalArgumentException("block symbols must be 1.." + org.stbguest.multicast.fec.BlockCode.MAX_K
                    + ", got " + blockSymbols);
        }
        if (repairRatio < 0 || repairRatio > 2) {
            throw new IllegalArgumentException("repair ratio must be 0..2, got " + repairRatio);
        }
        if (rateBitsPerSecond < 8_000) {
            throw new IllegalArgumentException("rate must be at least 8 kbit/s, got " + rateBitsPerSecond);
        }
        if (maxCycles < 1) {
            throw new IllegalArgumentException("at least one carousel cycle is needed");
        }
        if (maxDuration == null || maxDuration.isNegative() || maxDuration.isZero()) {
            throw new IllegalArgumentException("a positive maximum duration is needed");
        }
        if (feedbackWindow == null || feedbackWindow.isNegative() || feedbackWindow.isZero()) {
            throw new IllegalArgumentException("a positive feedback window is needed");
        }
    }

}
