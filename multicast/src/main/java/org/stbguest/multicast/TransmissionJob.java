package org.stbguest.multicast;

import org.stbguest.image.trust.SignedStatement;

/**
 * A transmission as the operator server hands it to the headend distributor: which image (by id and root digest),
 * where and how fast to send it, the erasure-code parameters, the director-signed announcement to repeat on the
 * control group, and its state ({@code PENDING}, {@code SENDING}, {@code COMPLETE}, {@code CANCELLED}). The
 * distributor sends while the state is PENDING or SENDING.
 */
public record TransmissionJob(long id, long imageId, String rootDigest, long size, String dataGroup, int dataPort,
                              int symbolSize, int blockSymbols, double repairRatio, long rateBitsPerSecond,
                              SignedStatement announcement, String state) {

    /** Whether the server still wants this on the air. */
    public boolean live() {
        return "PENDING".equals(state) || "SENDING".equals(state);
    }
}
