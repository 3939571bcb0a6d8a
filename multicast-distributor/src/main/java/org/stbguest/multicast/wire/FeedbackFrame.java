package org.stbguest.multicast.wire;

import java.util.Arrays;

/**
 * A receiver's report to the sender, by unicast: for some source blocks, how many more symbols it needs (not which:
 * any fresh symbol of the block will do). An empty report says "I have everything". {@code receiverId} is a random
 * number per receiver, so the sender can count who has finished.
 */
public record FeedbackFrame(long transmissionId, int receiverId, int[] blocks, int[] deficits) implements Frame {

    /** Entries per datagram: keeps a report under 1,000 bytes. */
    public static final int MAX_ENTRIES = 160;

    public FeedbackFrame {
        if (blocks == null || deficits == null || blocks.length != deficits.length || blocks.length > MAX_ENTRIES) {
            throw new IllegalArgumentException("a feedback frame carries up to " + MAX_ENTRIES + " (block, deficit) pairs");
        }
        for (int i = 0; i < blocks.length; i++) {
            if (blocks[i] < 0 || deficits[i] < 1 || deficits[i] > 0xFFFF) {
                throw new IllegalArgumentException("bad entry: block " + blocks[i] + " deficit " + deficits[i]);
            }
        }
        blocks = blocks.clone();
        deficits = deficits.clone();
    }

    /** Whether this receiver reports that it has every block. */
    public boolean complete() {
        return blocks.length == 0;
    }

    @Override
    public Kind kind() {
        return Kind.FEEDBACK;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeedbackFrame f && f.transmissionId == transmissionId && f.receiverId == receiverId
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
