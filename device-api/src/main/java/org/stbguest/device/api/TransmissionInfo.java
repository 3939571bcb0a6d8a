package org.stbguest.device.api;

/**
 * Where to tune in to receive an image by multicast: the data group and port, the symbol size used to cut the image
 * into packets, and the source block size of the erasure code (symbols per block). The interface is the box's own
 * choice (configuration), never the server's.
 */
public record TransmissionInfo(long transmissionId, String dataGroup, int dataPort, int symbolSize, int blockSymbols) {

    public TransmissionInfo {
        if (dataPort < 1 || dataPort > 65535) {
            throw new IllegalArgumentException("data port must be in 1..65535, got " + dataPort);
        }
        if (symbolSize < 16 || symbolSize > 65000) {
            throw new IllegalArgumentException("symbol size must be in 16..65000, got " + symbolSize);
        }
        if (blockSymbols < 1 || blockSymbols > 32768) {
            throw new IllegalArgumentException("block symbols must be in 1..32768, got " + blockSymbols);
        }
    }
}
