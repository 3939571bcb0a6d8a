package org.stbguest.multicast;

import io.netty.channel.DefaultAddressedEnvelope;
import io.netty.channel.socket.DatagramChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.multicast.fec.ReedSolomon;
import org.stbguest.multicast.wire.DataFrame;
import org.stbguest.multicast.wire.Frame;
import org.stbguest.multicast.wire.FrameEncoder;

/**
 * Sends one image with forward error correction, in a carousel. Every cycle sends, for every source block, a block's
 * worth of symbols plus the proactive repair share, always continuing with symbol ids the block has not sent yet:
 * the first cycle sends the source symbols, later cycles fresh repair symbols. So a box that lost any few packets of
 * a block, or tuned in late, completes it from whatever symbols it catches next, and the cost of the cycle does not
 * depend on which boxes lost what. Announcements (supplied by the caller: signed by the director) go out on the
 * control group between data packets. Runs on the calling thread (never an event loop) and paces itself to the plan's
 * rate; the channel's writability bounds what is queued.
 */
public final class TransmissionSender {

    private static final Logger log = LoggerFactory.getLogger(TransmissionSender.class);
    private static final int ANNOUNCE_EVERY = 512;

    private final DatagramChannel channel;
    private final AtomicLong sentBytes;
    private int unflushed;

    /** What a finished transmission did. */
    public record Result(int cycles, long packets, long bytesSent, boolean stoppedByCaller) {
    }

    public TransmissionSender(DatagramChannel channel) {
        this(channel, new AtomicLong());
    }

    /** A sender that also adds every byte it puts on the wire to {@code sentBytes}, live. */
    public TransmissionSender(DatagramChannel channel, AtomicLong sentBytes) {
        this.channel = channel;
        this.sentBytes = sentBytes;
    }

    /**
     * Transmits until {@code keepGoing} turns false (checked every few packets and between cycles) or the plan's
     * bounds are reached.
     *
     * @param announce the announcement to repeat on the control group, or null for none
     */
    public Result transmit(TransmissionPlan plan, ImageSource image, Frame announce, BooleanSupplier keepGoing)
            throws IOException, InterruptedException {
        return transmit(plan, image, announce, keepGoing, null);
    }

    /**
     * Transmits; in feedback mode ({@code plan.feedback()}, with the aggregator installed on this sender's channel)
     * the first cycle is followed by rounds that send, per block, the largest deficit any receiver reported plus the
     * proactive share, until three feedback windows pass in silence.
     */
    public Result transmit(TransmissionPlan plan, ImageSource image, Frame announce, BooleanSupplier keepGoing,
                           FeedbackAggregator feedback) throws IOException, InterruptedException {
        var layout = new BlockLayout(image.size(), plan.symbolSize(), plan.blockSymbols());
        var data = new InetSocketAddress(plan.dataGroup(), plan.dataPort());
        var control = new InetSocketAddress(plan.controlGroup(), plan.controlPort());
        int[] nextId = new int[layout.blocks()];
        long deadline = System.nanoTime() + plan.maxDuration().toNanos();
        double nanosPerByte = 8e9 / plan.rateBitsPerSecond();
        long next = System.nanoTime();
        long packets = 0;
        long bytes = 0;
        int cycle = 0;
        boolean stopped = false;
        byte[][] source = new byte[plan.blockSymbols()][plan.symbolSize()];
        log.info("event=transmission_started tx={} root={} symbols={} blocks={} repair_ratio={} rate_bps={}",
                plan.transmissionId(), plan.rootDigest().shortHex(), layout.symbols(), layout.blocks(),
                plan.repairRatio(), plan.rateBitsPerSecond());
        int cycles = plan.feedback() ? 1 : plan.maxCycles();
        outer:
        while (cycle < cycles) {
            if (!keepGoing.getAsBoolean()) {
                stopped = true;
                break;
            }
            for (int b = 0; b < layout.blocks(); b++) {
                int k = layout.k(b);
                ReedSolomon code = new ReedSolomon(k, plan.symbolSize());
                readBlock(image, layout, b, source);
                int count = k + (int) Math.ceil(k * plan.repairRatio());
                for (int i = 0; i < count; i++) {
                    if (announce != null && packets % ANNOUNCE_EVERY == 0) {
                        bytes += send(announce, control);
                        packets++;
                    }
                    int wire = sendSymbol(plan, layout, code, source, b, nextId, data);
                    bytes += wire;
                    packets++;
                    next += (long) (wire * nanosPerByte);
                    if (!pace(next, deadline)) {
                        break outer;
                    }
                    if ((packets & 127) == 0 && !keepGoing.getAsBoolean()) {
                        stopped = true;
                        break outer;
                    }
                }
            }
            cycle++;
        }
        if (plan.feedback() && feedback != null && !stopped) {
            int quiet = 0;
            int round = 0;
            while (quiet < 3 && round < plan.maxCycles() * 64 && keepGoing.getAsBoolean() && System.nanoTime() < deadline) {
                feedback.reset();
                long windowEnd = System.nanoTime() + plan.feedbackWindow().toNanos();
                while (System.nanoTime() < windowEnd) {
                    LockSupport.parkNanos(Math.min(windowEnd - System.nanoTime(), 5_000_000));
                }
                var need = new java.util.TreeMap<>(feedback.drain());
                if (need.isEmpty()) {
                    quiet++;
                    continue;
                }
                quiet = 0;
                round++;
                log.debug("event=feedback_round tx={} round={} blocks={} symbols={}", plan.transmissionId(), round,
                        need.size(), need.values().stream().mapToInt(Integer::intValue).sum());
                for (var e : need.entrySet()) {
                    int b = e.getKey();
                    if (b >= layout.blocks()) {
                        continue;
                    }
                    int k = layout.k(b);
                    ReedSolomon code = new ReedSolomon(k, plan.symbolSize());
                    readBlock(image, layout, b, source);
                    int count = e.getValue() + (int) Math.ceil(e.getValue() * plan.repairRatio());
                    for (int i = 0; i < count; i++) {
                        int wire = sendSymbol(plan, layout, code, source, b, nextId, data);
                        bytes += wire;
                        packets++;
                        next = Math.max(next, System.nanoTime() - 1_000_000) + (long) (wire * nanosPerByte);
                        pace(next, deadline);
                    }
                }
            }
        }
        channel.flush();
        log.info("event=transmission_ended tx={} cycles={} packets={} bytes={} stopped_by_caller={}",
                plan.transmissionId(), cycle, packets, bytes, stopped);
        return new Result(cycle, packets, bytes, stopped);
    }

    /** Sends the next symbol id block {@code b} has not sent yet: a source symbol, or a fresh repair symbol. */
    private int sendSymbol(TransmissionPlan plan, BlockLayout layout, ReedSolomon code, byte[][] source, int b,
                           int[] nextId, InetSocketAddress data) throws InterruptedException {
        int k = layout.k(b);
        int id = nextId[b];
        nextId[b] = (id + 1) % (ReedSolomon.MAX_ESI + 1);
        byte[] payload;
        if (id < k) {
            int len = layout.symbolLength(b, id);
            payload = len == plan.symbolSize() ? source[id].clone() : java.util.Arrays.copyOf(source[id], len);
        } else {
            payload = new byte[plan.symbolSize()];
            code.encode(source, id, payload);
        }
        return send(new DataFrame(plan.transmissionId(), b, id, k, payload), data);
    }

    /** Reads block {@code b}'s source symbols with one read, zero-padding past the end of the image. */
    static void readBlock(ImageSource image, BlockLayout layout, int b, byte[][] source) throws IOException {
        int length = (int) (layout.blockEnd(b) - layout.blockStart(b));
        byte[] block = new byte[length];
        if (length > 0) {
            image.read(layout.blockStart(b), block, length);
        }
        int symbolSize = source[0].length;
        for (int j = 0; j < layout.k(b); j++) {
            int from = j * symbolSize;
            int len = Math.max(0, Math.min(symbolSize, length - from));
            System.arraycopy(block, from, source[j], 0, len);
            java.util.Arrays.fill(source[j], len, symbolSize, (byte) 0);
        }
    }

    private int send(Frame frame, InetSocketAddress to) throws InterruptedException {
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!channel.isWritable()) {
            channel.flush();
            if (System.nanoTime() > waitUntil) {
                throw new InterruptedException("multicast channel not writable for 5 s");
            }
            LockSupport.parkNanos(50_000);
        }
        // one hand-off to the event loop per 32 packets, not per packet; pace() flushes before it waits
        channel.write(new DefaultAddressedEnvelope<>(frame, to));
        if (++unflushed >= 32) {
            channel.flush();
            unflushed = 0;
        }
        int wire = FrameEncoder.encodedSize(frame) + 28;
        sentBytes.addAndGet(wire);
        return wire;
    }

    /** Waits until {@code next}; false when the overall deadline has passed. */
    private boolean pace(long next, long deadline) throws InterruptedException {
        long now = System.nanoTime();
        if (now < next && unflushed > 0) {
            channel.flush();
            unflushed = 0;
        }
        while ((now = System.nanoTime()) < next) {
            LockSupport.parkNanos(Math.min(next - now, 1_000_000));
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        return now < deadline;
    }

}
