package org.stbguest.multicast;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.stbguest.multicast.wire.FeedbackFrame;
import org.stbguest.multicast.wire.Frame;

/**
 * Collects receivers' deficit reports on the sender's socket and keeps, per source block, the largest deficit any
 * receiver reported: one round of that many fresh repair symbols heals every receiver at once, whatever the size of
 * the fleet. Thread-safe: reports arrive on the event loop, the sender drains them from its own thread.
 */
@ChannelHandler.Sharable
public final class FeedbackAggregator extends SimpleChannelInboundHandler<Frame> {

    private final long transmissionId;
    private final Map<Integer, Integer> deficits = new HashMap<>();
    /** Per block: reports that arrive before this time (nanoTime) describe it before the symbols last sent. */
    private final Map<Integer, Long> acceptAfter = new HashMap<>();
    private final Set<Integer> receivers = new HashSet<>();
    private final Set<Integer> complete = new HashSet<>();
    private long reports;

    public FeedbackAggregator(long transmissionId) {
        this.transmissionId = transmissionId;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
        if (frame.kind() != Frame.Kind.FEEDBACK || frame.transmissionId() != transmissionId) {
            return;
        }
        FeedbackFrame f = (FeedbackFrame) frame;
        long now = System.nanoTime();
        synchronized (this) {
            reports++;
            receivers.add(f.receiverId());
            if (f.complete()) {
                complete.add(f.receiverId());
                return;
            }
            complete.remove(f.receiverId());
            for (int i = 0; i < f.blocks().length; i++) {
                Long after = acceptAfter.get(f.blocks()[i]);
                if (after == null || now - after >= 0) {
                    deficits.merge(f.blocks()[i], f.deficits()[i], Math::max);
                }
            }
        }
    }

    /** Forgets deficits reported so far (they describe the state before the symbols just sent). */
    public synchronized void reset() {
        deficits.clear();
    }

    /**
     * Forgets block {@code block}'s deficits and ignores reports of it that arrive before {@code fromNanos}
     * ({@link System#nanoTime()}): they were sent before the receivers had the symbols just sent for it.
     */
    public synchronized void reset(int block, long fromNanos) {
        deficits.remove(block);
        acceptAfter.put(block, fromNanos);
    }

    /** The largest deficit reported for {@code block} since it was last reset or taken (0: none), and forgets it. */
    public synchronized int take(int block) {
        Integer d = deficits.remove(block);
        return d == null ? 0 : d;
    }

    /** The largest deficit per block since the last reset, and resets. */
    public synchronized Map<Integer, Integer> drain() {
        Map<Integer, Integer> out = new HashMap<>(deficits);
        deficits.clear();
        return out;
    }

    /** Receivers heard from, and how many of them last said they are complete. */
    public synchronized int receivers() {
        return receivers.size();
    }

    public synchronized int completeReceivers() {
        return complete.size();
    }

    public synchronized long reports() {
        return reports;
    }
}
