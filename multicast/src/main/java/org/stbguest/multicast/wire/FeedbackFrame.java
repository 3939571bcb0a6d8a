package org.stbguest.multicast.wire;

import java.util.Arrays;

/**
 * A receiver's report to the sender, by unicast: for some source blocks, how many more symbols it needs (not which:
 * any fresh symbol of the block will do). A report without entries and without a position says "I have everything";
 * one without entries but with a position is a progress report (see {@link #progress()}). {@code receiverId} is a random
 * number per receiver, so the sender can count who has finished. {@code atBlock}/{@code atId} name the newest symbol
 * of the transmission the receiver had taken in when it wrote the report (-1/-1: none): the sender knows what it
 * sent after that symbol, which is still on its way to this receiver (a box short of CPU reads its socket late) and
 * must not be paid for twice.
 */
public record FeedbackFrame(long transmissionId, int receiverId, int atBlock, int atId, int[] blocks, int[] deficits)
        implements Frame {

    /** Entries per datagram: keeps a report under 1,000 bytes. */
    public static final int MAX_ENTRIES = 160;

    public FeedbackFrame {
        if (blocks == null || deficits == null || blocks.length != deficits.length || blocks.length > MAX_ENTRIES) {
            throw new IllegalArgumentException("a feedback frame carries up to " + MAX_ENTRIES + " (block, deficit) pairs");
        }
        if (atBlock < -1 || atBlock >= WireFormat.POSITION_NONE || atId < -1 || atId >= WireFormat.POSITION_NONE
                || (atBlock < 0) != (atId < 0)) {
            throw new IllegalArgumentException("bad position: block " + atBlock + " symbol " + atId);
        }
        for (int i = 0; i < blocks.length; i++) {
            if (blocks[i] < 0 || deficits[i] < 1 || deficits[i] > 0xFFFF) {
                throw new IllegalArgumentException("bad entry: block " + blocks[i] + " deficit " + deficits[i]);
            }
        }
        blocks = blocks.clone();
        deficits = deficits.clone();
    }

    /** A report without a position (as of a receiver that has taken in no symbol yet). */
    public FeedbackFrame(long transmissionId, int receiverId, int[] blocks, int[] deficits) {
        this(transmissionId, receiverId, -1, -1, blocks, deficits);
    }

    /** Whether this receiver reports that it has every block: no entries and no position. */
    public boolean complete() {
        return blocks.length == 0 && atBlock < 0;
    }

    /**
     * Whether this is a progress report: no entries, only the position of a receiver that is behind (its socket has a
     * queue), so that the sender does not get further ahead of it than its window.
     */
    public boolean progress() {
        return blocks.length == 0 && atBlock >= 0;
    }

    @Override
    public Kind kind() {
        return Kind.FEEDBACK;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeedbackFrame f && f.transmissionId == transmissionId && f.receiverId == receiverId
                && f.atBlock == atBlock && f.atId == atId
                && Arrays.equals(f.blocks, blocks) && Arrays.equals(f.deficits, deficits);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(transmissionId) * 31 + receiverId;
    }

    @Override
    public String toString() {
        return "FeedbackFrame[tx=" + transmissionId + " receiver=" + receiverId + " entries=" + blocks.length + "]";
    }
}
