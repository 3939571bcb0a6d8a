package org.stbguest.multicast;

import java.util.ArrayDeque;

/**
 * The large-block decoders' stores (a block's worth of symbols: 23 MiB at 16,384 symbols of 1,456 bytes) that finished
 * blocks gave back, kept for the next decoder of the same size in this process, across transmissions. A receiver
 * needs one or two at a time, and allocating each afresh cost more than the memory: the collector copied every new
 * store out of the young generation while its block was live, then ran full collections as they piled up in the old
 * one (about 0.19 s of pauses per 128 MiB image with the serial collector on a lab box, sixteen such boxes sharing
 * two cores). Kept this way, a warm agent decodes a whole image without allocating a store. At most
 * {@value #MAX_KEPT} are kept; contents are not cleared (a decoder writes every slot before it reads it).
 */
final class DecoderStores {

    /** Stores kept at most: a block being decoded and one being verified. */
    static final int MAX_KEPT = 2;

    private static final ArrayDeque<long[]> KEPT = new ArrayDeque<>(MAX_KEPT);

    private DecoderStores() {
    }

    /**
     * The smallest kept store of at least {@code length} words (an image's short last block takes a full block's), or
     * null (the decoder then allocates its own when it needs one).
     */
    static long[] take(long length) {
        synchronized (KEPT) {
            long[] best = null;
            for (long[] s : KEPT) {
                if (s.length >= length && (best == null || s.length < best.length)) {
                    best = s;
                }
            }
            if (best != null) {
                KEPT.remove(best);
            }
            return best;
        }
    }

    /** Keeps {@code store} for a later decoder, in place of the oldest kept one when there are enough already. */
    static void give(long[] store) {
        if (store == null) {
            return;
        }
        synchronized (KEPT) {
            if (KEPT.size() == MAX_KEPT) {
                KEPT.pollFirst();
            }
            KEPT.addLast(store);
        }
    }

    /** Stores kept now (tests). */
    static int kept() {
        synchronized (KEPT) {
            return KEPT.size();
        }
    }
}
