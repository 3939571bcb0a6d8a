package org.stbguest.multicast;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.multicast.wire.FeedbackFrame;
import org.stbguest.multicast.wire.Frame;

/**
 * Collects receivers' deficit reports on the sender's socket and gives, per source block, the largest deficit any
 * receiver still has: one round of that many fresh repair symbols heals every receiver at once, whatever the size of
 * the fleet. A receiver's newer report of a block replaces its older one. With an {@link InFlight} (the sender's
 * record of what it sent when), a report counts only what the receiver needs beyond the symbols of the block sent
 * after the newest symbol the receiver had taken in: those are still on their way to it (a box short of CPU reads
 * its socket late, and without this its stale report would be paid for a second time); symbols sent before that
 * point and not taken in were lost. Thread-safe: reports arrive on the event loop, the sender takes them from its own
 * thread.
 */
@ChannelHandler.Sharable
public final class FeedbackAggregator extends SimpleChannelInboundHandler<Frame> {

    /** The sender's record: how many symbols of a block it sent after a given symbol (of any block) went out. */
    @FunctionalInterface
    public interface InFlight {
        int sentAfter(int block, int atBlock, int atId);
    }

    private static final Logger log = LoggerFactory.getLogger(FeedbackAggregator.class);

    private final long transmissionId;
    /** Per block, per receiver: {deficit, atBlock, atId} of its latest report. */
    private final Map<Integer, Map<Integer, int[]>> reportsByBlock = new HashMap<>();
    /** Per block: reports that arrive before this time (nanoTime) describe it before the symbols last sent. */
    private final Map<Integer, Long> acceptAfter = new HashMap<>();
    private final Set<Integer> receivers = new HashSet<>();
    private final Set<Integer> complete = new HashSet<>();
    /** Per receiver that says it is behind: {block, id, when (nanoTime)} of its newest progress report. */
    private final Map<Integer, long[]> positions = new HashMap<>();
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
                positions.remove(f.receiverId());
                return;
            }
            complete.remove(f.receiverId());
            if (f.progress()) { // only a box that says it is behind holds the sender (a report of deficits may come
                // from a box that keeps up, and its position, held for a window, would hold the sender for nothing)
                positions.put(f.receiverId(), new long[] {f.atBlock(), f.atId(), now});
                return;
            }
            for (int i = 0; i < f.blocks().length; i++) {
                int b = f.blocks()[i];
                Long after = acceptAfter.get(b);
                if (after == null || now - after >= 0) {
                    reportsByBlock.computeIfAbsent(b, x -> new HashMap<>())
                            .put(f.receiverId(), new int[] {f.deficits()[i], f.atBlock(), f.atId()});
                }
            }
        }
    }

    /**
     * Forgets block {@code block}'s reports and ignores those that arrive before {@code fromNanos}
     * ({@link System#nanoTime()}): they were sent before the receivers could have the symbols just sent for it.
     */
    public synchronized void reset(int block, long fromNanos) {
        reportsByBlock.remove(block);
        acceptAfter.put(block, fromNanos);
    }

    /** The largest deficit reported for {@code block} since it was last reset or taken (0: none), and forgets them. */
    public int take(int block) {
        return take(block, null);
    }

    /**
     * The largest number of symbols a receiver still needs for {@code block} beyond those on their way to it
     * ({@code inFlight}; null: count none), from the reports since the block was last reset or taken, and forgets
     * them.
     */
    public synchronized int take(int block, InFlight inFlight) {
        Map<Integer, int[]> byReceiver = reportsByBlock.remove(block);
        if (byReceiver == null) {
            return 0;
        }
        int most = 0;
        int mostReported = 0;
        int mostComing = 0;
        int mostReceiver = -1;
        for (var e : byReceiver.entrySet()) {
            int[] r = e.getValue();
            int coming = inFlight == null || r[1] < 0 ? 0 : inFlight.sentAfter(block, r[1], r[2]);
            if (r[0] - coming > most) {
                most = r[0] - coming;
                mostReported = r[0];
                mostComing = coming;
                mostReceiver = e.getKey();
            }
        }
        if (most > 0 && log.isDebugEnabled()) {
            log.debug("event=deficit_taken tx={} block={} receiver={} reported={} in_flight={} reports={}",
                    transmissionId, block, mostReceiver, mostReported, mostComing, byReceiver.size());
        }
        return most;
    }

    /**
     * The positions ({block, id}) of the progress reports that arrived at or after {@code sinceNanos}
     * ({@link System#nanoTime()}): where the boxes that are behind stand (a box that keeps up sends no progress reports,
     * and its last position ages out).
     */
    public synchronized java.util.List<int[]> positionsSince(long sinceNanos) {
        if (positions.isEmpty()) { // the usual case, asked every 32 datagrams of the pass: nothing to allocate
            return java.util.List.of();
        }
        var out = new java.util.ArrayList<int[]>();
        for (long[] p : positions.values()) {
            if (p[2] - sinceNanos >= 0) {
                out.add(new int[] {(int) p[0], (int) p[1]});
            }
        }
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
