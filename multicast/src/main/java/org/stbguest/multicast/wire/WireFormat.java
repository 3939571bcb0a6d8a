package org.stbguest.multicast.wire;

/** Constants of wire format v3. */
public final class WireFormat {

    /** "ST": first two bytes of every datagram. */
    public static final short MAGIC = 0x5354;
    /** The wire format version this code speaks. */
    public static final byte VERSION = 4;
    /** Frame type of {@link DataFrame}. */
    public static final byte TYPE_DATA = 1;
    /** Frame type of {@link AnnounceFrame}. */
    public static final byte TYPE_ANNOUNCE = 2;
    /** Frame type of {@link FeedbackFrame}. */
    public static final byte TYPE_FEEDBACK = 3;
    /**
     * Bytes before the entries of a feedback frame: header, transmission id, receiver id, the newest symbol the
     * receiver has taken in (block and id, 24 bits each), count.
     */
    public static final int FEEDBACK_HEADER = 4 + 8 + 4 + 3 + 3 + 2;
    /** "No symbol yet" in a feedback frame's 24-bit position fields. */
    public static final int POSITION_NONE = 0xFFFFFF;
    /** One (block, deficit) entry of a feedback frame. */
    public static final int FEEDBACK_ENTRY = 4 + 2;
    /**
     * Bytes before the payload of a data frame: magic, version, type, transmission id (low 32 bits), block (24 bits),
     * symbol id (24 bits), row weight (16 bits). The payload is the rest of the datagram.
     */
    public static final int DATA_HEADER = 2 + 1 + 1 + 4 + 3 + 3 + 2;
    /** A signature entry in an announce frame: key id (16 bytes) and Ed25519 signature (64). */
    public static final int SIGNATURE_ENTRY = 16 + 64;
    /** Most signatures an announce frame may carry. */
    public static final int MAX_SIGNATURES = 8;
    /** Largest symbol payload: keeps a datagram under 64 KiB. */
    public static final int MAX_PAYLOAD = 65000;
    /** Default symbol payload: header and symbol fill a 1500-byte Ethernet MTU exactly (20 IP + 8 UDP + 16 + 1456). */
    public static final int DEFAULT_SYMBOL_SIZE = 1456;

    private WireFormat() {
    }
}
