package org.stbguest.multicast.wire;

/**
 * One datagram of wire format v1, decoded. A closed set: consume with an exhaustive {@code switch}.
 * Layouts are in {@code docs/wire-format.md}.
 */
public sealed interface Frame permits DataFrame, AnnounceFrame, FeedbackFrame {

    /** The transmission this frame belongs to. */
    long transmissionId();

    /** Which frame this is; switch on it exhaustively (Java 17 has no pattern switch). */
    Kind kind();

    /** The frame kinds, one per permitted subtype. */
    enum Kind { DATA, ANNOUNCE, FEEDBACK }
}
