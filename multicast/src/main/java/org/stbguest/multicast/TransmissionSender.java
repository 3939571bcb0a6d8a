package org.stbguest.multicast;

import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.multicast.fec.BlockCode;
import org.stbguest.multicast.wire.DataFrame;
import org.stbguest.multicast.wire.Frame;
import org.stbguest.multicast.wire.FrameEncoder;
import org.stbguest.multicast.wire.WireFormat;

/**
 * Sends one image with forward error correction, in a carousel. With Reed-Solomon blocks every cycle sends, for every
 * source block, a block's worth of symbols plus the proactive repair share, always continuing with symbol ids the
 * block has not sent yet: the first cycle sends the source symbols, later cycles fresh repair symbols; with the
 * large-block code every cycle sends the sources again plus the proactive share of fresh rows. So a box that lost
 * any few packets of a block, or tuned in late, completes it from whatever symbols it catches next, and the cost of the cycle does not
 * depend on which boxes lost what. Announcements (supplied by the caller: signed by the director) go out on the
 * control group between data packets. Runs on the calling thread (never an event loop) and paces itself to the plan's
 * rate; the channel's writability bounds what is queued.
 */
public final class TransmissionSender {

    private static final Logger log = LoggerFactory.getLogger(TransmissionSender.class);
    private static final int ANNOUNCE_EVERY = 512;

    /** Most datagrams handed to the event loop at a time (one run, see {@link #flushRun}). */
    private static final int BATCH = 44;
    private static final int MAX_BATCHES_IN_FLIGHT = 64;
    /** A batch that is not full yet still goes out once the sender is this far ahead of its pace (slow rates). */
    private static final long MAX_AHEAD_NANOS = 20_000_000;
    /** Most datagrams the kernel cuts one segmented send into (UDP_MAX_SEGMENTS), and most bytes one may hold. */
    private static final int MAX_SEGMENTS = 64;
    private static final int MAX_SEGMENTED_BYTES = 65_507;

    private final DatagramChannel channel;
    private final AtomicLong sentBytes;
    /** Whether batches go out with UDP segmentation offload (native transport, kernel support, not turned off). */
    private final boolean segmentation;
    /**
     * The run of datagrams being gathered for the next hand-off to the event loop: encoded back to back in one direct
     * buffer, all of {@link #runSegment} bytes but a shorter last one, all to {@link #runTo}; null when none is open.
     */
    private ByteBuf runBuf;
    private int runSegment;
    private int runCount;
    private int runMax;
    private InetSocketAddress runTo;
    /** Where repair symbols are computed before they are encoded (one at a time). */
    private byte[] repairScratch;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    /** How often the pass looks for passed blocks whose repair is due (feedback mode). */
    private static final long REPAIR_CHECK_NANOS = 5_000_000;
    /** How often a sender held by flow control looks again. */
    private static final long HOLD_POLL_NANOS = 200_000;
    /**
     * Flow control's window, in data symbols: how far the pass may get ahead of the slowest box that says it is
     * behind ({@code stbguest.multicast.flowWindow}, default 8192, about 12 MB; 0 turns it off). It must stay below
     * what a box's socket buffer holds (the agent asks for 32 MiB) less what the sender sends in a report interval.
     */
    static final int DEFAULT_FLOW_WINDOW = Integer.getInteger("stbguest.multicast.flowWindow", 8192);
    private int flowWindow = DEFAULT_FLOW_WINDOW;
    /** This transmission's flow-control holds, and the time they took. */
    private long holds;
    private long heldNanos;

    /**
     * What a finished transmission did.
     *
     * @param repairsDuringPass repair symbols sent for earlier blocks while the first pass was still going (feedback
     *                          mode)
     * @param flowHolds         times the pass waited for a box that said it was behind (flow control)
     */
    public record Result(int cycles, long packets, long bytesSent, boolean stoppedByCaller, long repairsDuringPass,
                         long flowHolds) {
    }

    public TransmissionSender(DatagramChannel channel) {
        this(channel, new AtomicLong());
    }

    /** A sender that also adds every byte it puts on the wire to {@code sentBytes}, live. */
    public TransmissionSender(DatagramChannel channel, AtomicLong sentBytes) {
        this.channel = channel;
        this.sentBytes = sentBytes;
        this.segmentation = MulticastChannels.segmentationOffload(channel);
    }

    /** Sets the flow-control window in data symbols (0: off); see {@link #DEFAULT_FLOW_WINDOW}. */
    public TransmissionSender withFlowWindow(int symbols) {
        if (symbols < 0) {
            throw new IllegalArgumentException("flow window must be >= 0, got " + symbols);
        }
        this.flowWindow = symbols;
        return this;
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
     * Transmits in feedback mode until the plan ends it (the receivers complete, or its bounds). A lab peer and the
     * warm-up call this with the same "keep going" instance, so the JIT's profile of the send loop is the same in both.
     */
    public Result transmit(TransmissionPlan plan, ImageSource image, Frame announce, FeedbackAggregator feedback)
            throws IOException, InterruptedException {
        return transmit(plan, image, announce, UNTIL_FINISHED, feedback);
    }

    /** "Keep going" for a transmission that runs until its plan ends it. */
    private static final BooleanSupplier UNTIL_FINISHED = () -> true;

    /**
     * Transmits; in feedback mode ({@code plan.feedback()}, with the aggregator installed on this sender's channel)
     * every block, one feedback window after its symbols went out, gets the largest deficit any receiver reported
     * for it since then (plus the proactive share) in fresh repair symbols, and so on until no receiver reports it.
     * These repairs start during the first pass, between the symbols of later blocks, so receivers complete (decode
     * and verify) block after block while the pass goes on instead of all at its end. After the pass, rounds go on
     * until three feedback windows pass in silence (up to 40 while no receiver has reported yet or one that reported
     * has not yet said it is complete).
     */
    public Result transmit(TransmissionPlan plan, ImageSource image, Frame announce, BooleanSupplier keepGoing,
                           FeedbackAggregator feedback) throws IOException, InterruptedException {
        var layout = new BlockLayout(image.size(), plan.symbolSize(), plan.blockSymbols());
        data = new InetSocketAddress(plan.dataGroup(), plan.dataPort());
        var control = new InetSocketAddress(plan.controlGroup(), plan.controlPort());
        int[] nextId = new int[layout.blocks()];
        this.plan = plan;
        this.layout = layout;
        this.image = image;
        this.nextId = nextId;
        this.feedback = plan.feedback() ? feedback : null;
        dueAt = new long[layout.blocks()];
        lossEstimate = new double[layout.blocks()];
        java.util.Arrays.fill(lossEstimate, -1);
        sentLog = newLog(layout.blocks());
        dataSeq = 0;
        passed = 0;
        repair = null;
        repairsDuringPass = 0;
        holds = 0;
        heldNanos = 0;
        nextRepairCheck = System.nanoTime();
        long deadline = System.nanoTime() + plan.maxDuration().toNanos();
        nanosPerByte = 8e9 / plan.rateBitsPerSecond();
        next = System.nanoTime();
        packets = 0;
        bytes = 0;
        int cycle = 0;
        boolean stopped = false;
        byte[][] source = new byte[plan.blockSymbols()][plan.symbolSize()];
        if (repairScratch == null || repairScratch.length != plan.symbolSize()) {
            repairScratch = new byte[plan.symbolSize()];
        }
        // the pass's block is read into a direct buffer kept from one transmission to the next (the repair slot's
        // likewise, made when first needed: a carousel without feedback never repairs a passed block)
        blockBytes = (int) Math.min(image.size(), (long) plan.blockSymbols() * plan.symbolSize());
        if (passBytes == null || passBytes.capacity() < blockBytes) {
            passBytes = ByteBuffer.allocateDirect(blockBytes);
        }
        passBlock = null;
        log.info("event=transmission_started tx={} root={} symbols={} blocks={} repair_ratio={} rate_bps={}",
                plan.transmissionId(), plan.rootDigest().shortHex(), layout.symbols(), layout.blocks(),
                plan.repairRatio(), plan.rateBitsPerSecond());
        int cycles = plan.feedback() ? 1 : plan.maxCycles();
        long passStart = System.nanoTime();
        outer:
        while (cycle < cycles) {
            if (!keepGoing.getAsBoolean()) {
                stopped = true;
                break;
            }
            for (int b = 0; b < layout.blocks(); b++) {
                passBlock = block(passBlock, plan, layout, b, image, source, nextId, passBytes);
                int sent = sendCycle(passBlock, announce, control, deadline, keepGoing);
                if (sent != CYCLE_SENT) {
                    stopped = sent == CYCLE_STOPPED;
                    break outer;
                }
                if (this.feedback != null) { // block b has gone out: its deficits count from now, due a window later
                    long now = System.nanoTime();
                    this.feedback.reset(b, now);
                    dueAt[b] = now + plan.feedbackWindow().toNanos();
                    passed = b + 1;
                }
            }
            cycle++;
        }
        flushRun(); // the pass is out before the first feedback window opens
        long passNanos = System.nanoTime() - passStart;
        log.info("event=pass_ended tx={} packets={} payload_bytes={} seconds={} payload_mib_s={} repairs_during_pass={}"
                        + " flow_holds={} flow_held_s={}",
                plan.transmissionId(), packets, bytes - 28 * packets, String.format("%.3f", passNanos / 1e9),
                String.format("%.1f", (bytes - 28 * packets) / 1048576.0 / (passNanos / 1e9)), repairsDuringPass,
                holds, String.format("%.3f", heldNanos / 1e9));
        if (plan.feedback() && feedback != null && !stopped) {
            int quiet = 0;
            int round = 0;
            // three quiet windows end the rounds; but up to 40 while no receiver has reported yet (receivers may still
            // be working through their socket queues when the pass ends) or one that reported has not yet said
            // "complete" (it may be verifying a large block)
            while ((quiet < 3 || quiet < 40 && (feedback.receivers() == 0
                    || feedback.completeReceivers() < feedback.receivers()))
                    && round < plan.maxCycles() * 64 && keepGoing.getAsBoolean() && System.nanoTime() < deadline) {
                flushRun();
                long windowEnd = System.nanoTime() + plan.feedbackWindow().toNanos();
                while (System.nanoTime() < windowEnd) {
                    LockSupport.parkNanos(Math.min(windowEnd - System.nanoTime(), 5_000_000));
                }
                // every block sent before the window is due now
                var need = new java.util.TreeMap<Integer, Integer>();
                long now = System.nanoTime();
                for (int b = 0; b < layout.blocks(); b++) {
                    int deficit = dueAt[b] - now <= 0 ? feedback.take(b, this::sentAfter) : 0;
                    if (deficit > 0) {
                        need.put(b, deficit);
                    }
                }
                if (need.isEmpty()) {
                    quiet++;
                    continue;
                }
                quiet = 0;
                round++;
                if (log.isDebugEnabled()) {
                    // deficit_total: what the boxes asked for; the symbols sent add the small-deficit rows and the
                    // proactive share
                    log.debug("event=feedback_round tx={} round={} blocks={} deficit_total={} deficits={}",
                            plan.transmissionId(), round, need.size(),
                            need.values().stream().mapToInt(Integer::intValue).sum(),
                            need.size() <= 16 ? need : "(" + need.size() + " blocks)");
                }
                for (var e : need.entrySet()) {
                    sendRepairs(e.getKey(), e.getValue(), deadline);
                }
            }
        }
        flushRun();
        log.info("event=transmission_ended tx={} cycles={} packets={} bytes={} stopped_by_caller={}",
                plan.transmissionId(), cycle, packets, bytes, stopped);
        this.image = null;
        repair = null;
        passBlock = null;
        return new Result(cycle, packets, bytes, stopped, repairsDuringPass, holds);
    }

    private static final int CYCLE_SENT = 0;
    private static final int CYCLE_STOPPED = 1;
    private static final int CYCLE_PAST_DEADLINE = 2;

    /**
     * Sends one carousel cycle's symbols of a block, with the repairs of earlier blocks that fall due meanwhile. A
     * method of its own (not a loop inside {@link #transmit}), so that the JIT compiles this hot loop as a small unit
     * once, rather than the whole of {@code transmit} on stack replacement.
     *
     * @return {@link #CYCLE_SENT}, {@link #CYCLE_STOPPED} (the caller said stop) or {@link #CYCLE_PAST_DEADLINE}
     */
    private int sendCycle(Block block, Frame announce, InetSocketAddress control, long deadline,
                          BooleanSupplier keepGoing) throws IOException, InterruptedException {
        BlockCode code = block.code;
        int k = code.k();
        int repairs = (int) Math.ceil(k * plan.repairRatio());
        // Reed-Solomon: the next k + repairs ids of the block, sources first; the large-block code: the sources again
        // every cycle and fresh rows
        int count = code.resendsSources() ? repairs : k + repairs;
        if (code.resendsSources()) {
            for (int j = 0; j < k; j++) {
                if (!sendPaced(block, j, 0, announce, control, deadline)) {
                    return CYCLE_PAST_DEADLINE;
                }
                if ((packets & 31) == 0) {
                    repairPassedBlocks(deadline);
                    holdForSlowest(deadline);
                }
            }
        }
        int weight = code.weightFor(count);
        for (int i = 0; i < count; i++) {
            if (!sendPaced(block, block.takeNextId(), weight, announce, control, deadline)) {
                return CYCLE_PAST_DEADLINE;
            }
            if ((packets & 127) == 0 && !keepGoing.getAsBoolean()) {
                return CYCLE_STOPPED;
            }
            if ((packets & 31) == 0) {
                repairPassedBlocks(deadline);
                holdForSlowest(deadline);
            }
        }
        return CYCLE_SENT;
    }

    /**
     * During the first pass (feedback mode, at most every {@link #REPAIR_CHECK_NANOS}): sends the repairs of blocks
     * the pass has left whose feedback window has elapsed and that some receiver still needs symbols for.
     */
    private void repairPassedBlocks(long deadline) throws IOException, InterruptedException {
        if (feedback == null) {
            return;
        }
        long now = System.nanoTime();
        if (now - nextRepairCheck < 0) {
            return;
        }
        nextRepairCheck = now + REPAIR_CHECK_NANOS;
        for (int b = 0; b < passed; b++) {
            if (dueAt[b] - now <= 0) {
                int deficit = feedback.take(b, this::sentAfter);
                if (deficit > 0) {
                    long before = packets;
                    log.debug("event=feedback_round_in_pass tx={} block={} deficit={} passing_block={}",
                            plan.transmissionId(), b, deficit, passed);
                    sendRepairs(b, deficit, deadline);
                    repairsDuringPass += packets - before;
                }
            }
        }
    }

    /**
     * Sends block {@code b} the largest deficit a receiver reported (plus the proactive share) in fresh symbols; its
     * deficits count again from when they have gone out, and it is due again a feedback window later.
     */
    private void sendRepairs(int b, int reported, long deadline) throws IOException, InterruptedException {
        Block block = repairBlock(b);
        BlockCode code = block.code;
        int deficit = Math.min(reported, code.k());
        if (code.resendsSources() && deficit * 4L >= code.k()) {
            // a receiver that missed a quarter of the block or more (joined late): the sources themselves serve it
            // without a large decode, and cost at most four times its deficit
            for (int j = 0; j < code.k(); j++) {
                sendRound(block, j, 0, deadline);
            }
        } else {
            // the block's loss rate: what its neediest box lacked of the sources when first asked (as the pass sent
            // them, plus the proactive share), kept for the block's later rounds
            if (lossEstimate[b] < 0) {
                lossEstimate[b] = Math.min(BlockCode.MAX_LOSS_ESTIMATE,
                        deficit / (code.k() * (1 + plan.repairRatio())));
            }
            int rows = code.batchFor(deficit) + (int) Math.ceil(deficit * plan.repairRatio());
            // the row weight as for the rows the box needs, so each row holds as many of its unknowns as before
            int weight = code.weightFor(rows);
            int count = BlockCode.withLossMargin(rows, lossEstimate[b], feedback.receivers());
            for (int i = 0; i < count; i++) {
                sendRound(block, block.takeNextId(), weight, deadline);
            }
        }
        flushRun();
        long now = System.nanoTime();
        feedback.reset(b, now);
        dueAt[b] = now + plan.feedbackWindow().toNanos();
    }

    /**
     * The block to repair from: the pass's current block when it is {@code b} (after the pass, the last block),
     * else the repair slot, which has its own source buffer so that repairs during the pass leave the pass's block
     * alone.
     */
    private Block repairBlock(int b) throws IOException {
        if (passBlock != null && passBlock.b == b) {
            return passBlock;
        }
        if (repairSource == null || repairSource.length != plan.blockSymbols()
                || repairSource[0].length != plan.symbolSize()) {
            repairSource = new byte[plan.blockSymbols()][plan.symbolSize()];
        }
        if (repairBytes == null || repairBytes.capacity() < blockBytes) {
            repairBytes = ByteBuffer.allocateDirect(blockBytes);
        }
        repair = block(repair, plan, layout, b, image, repairSource, nextId, repairBytes);
        return repair;
    }

    /**
     * The block to send from: {@code current} when it is block {@code b} already (late feedback rounds often ask for
     * one block again and again: no second read of its 23 MiB, no second encoder), else block {@code b} read afresh
     * into {@code bytes} (its source symbols go into {@code source} only if its encoder is needed).
     */
    private static Block block(Block current, TransmissionPlan plan, BlockLayout layout, int b, ImageSource image,
                               byte[][] source, int[] nextId, ByteBuffer bytes) throws IOException {
        if (current != null && current.b == b) {
            return current;
        }
        return new Block(plan, layout, BlockCode.of(plan.blockSymbols(), layout.k(b), plan.symbolSize()), b, image,
                source, nextId, bytes);
    }

    /**
     * One block being sent: its bytes as read (a direct buffer: source symbols are encoded from it straight into the
     * datagrams), its encoder and the source symbols as arrays that the encoder needs (both made on first use), and
     * its next repair id.
     */
    private static final class Block {
        private final TransmissionPlan plan;
        private final BlockLayout layout;
        private final BlockCode code;
        private final int b;
        private final ByteBuffer bytes;
        private final byte[][] source;
        private final int[] nextId;
        private BlockCode.Encoder encoder;

        Block(TransmissionPlan plan, BlockLayout layout, BlockCode code, int b, ImageSource image, byte[][] source,
              int[] nextId, ByteBuffer bytes) throws IOException {
            this.plan = plan;
            this.layout = layout;
            this.code = code;
            this.b = b;
            this.source = source;
            this.nextId = nextId;
            this.bytes = bytes;
            bytes.clear().limit((int) (layout.blockEnd(b) - layout.blockStart(b)));
            image.read(layout.blockStart(b), bytes);
            if (nextId[b] == 0) {
                nextId[b] = code.firstId();
            }
        }

        /** Writes source symbol {@code j}'s bytes in the image ({@link #length} of them) to {@code out}. */
        void writeSource(int j, ByteBuf out) {
            int from = j * plan.symbolSize();
            int len = layout.symbolLength(b, j);
            if (len == 0) {
                out.writeByte(0); // an empty image's one symbol: a datagram carries at least one byte
                return;
            }
            bytes.limit(from + len).position(from);
            out.writeBytes(bytes);
        }

        /** Bytes of symbol {@code id} on the wire: a source symbol at its length in the image (at least 1). */
        int length(int id) {
            return id < code.k() ? Math.max(1, layout.symbolLength(b, id)) : plan.symbolSize();
        }

        /**
         * The next id the block has not sent (a source symbol in Reed-Solomon's first cycle, else a fresh repair
         * symbol), and moves past it.
         */
        int takeNextId() {
            int id = nextId[b];
            nextId[b] = code.nextId(id);
            return id;
        }

        /** Computes repair symbol {@code id} into {@code out}. */
        void repair(int id, int weight, byte[] out) {
            if (encoder == null) {
                split(bytes.limit((int) (layout.blockEnd(b) - layout.blockStart(b))), code.k(), source);
                encoder = code.encoder(b, source);
            }
            encoder.repair(id, weight, out);
        }
    }

    // the transmission in progress (one at a time per sender)
    private TransmissionPlan plan;
    private BlockLayout layout;
    private ImageSource image;
    private int[] nextId;
    /** Feedback mode only: where reports arrive. */
    private FeedbackAggregator feedback;
    /** Per block: when its next repair is due (nanoTime); meaningful for blocks below {@link #passed}. */
    private long[] dueAt;
    /** Per block: the share of its symbols its neediest box lost, from its first report (-1 before it). */
    private double[] lossEstimate;
    /** Blocks the first pass has sent. */
    private int passed;
    private Block passBlock;
    private Block repair;
    private byte[][] repairSource;
    private ByteBuffer passBytes;
    private ByteBuffer repairBytes;
    /** Bytes of the transmission's largest block: what the block buffers must hold. */
    private int blockBytes;
    private long nextRepairCheck;
    private long repairsDuringPass;
    /** Per block: the runs of symbols sent ({first id, count, first data sequence number}), in sending order. */
    private java.util.List<long[]>[] sentLog;
    /** Data symbols sent so far in this transmission. */
    private long dataSeq;
    private InetSocketAddress data;
    private double nanosPerByte;
    private long next;
    private long packets;
    private long bytes;

    /**
     * Sends symbol {@code id} of a block in the first cycles, with the announcement every so often, paced; false past
     * the deadline.
     */
    private boolean sendPaced(Block block, int id, int weight, Frame announce, InetSocketAddress control, long deadline)
            throws InterruptedException {
        if (announce != null && packets % ANNOUNCE_EVERY == 0) {
            bytes += sendFrame(announce, control);
            packets++;
        }
        int wire = sendSymbol(block, id, weight);
        bytes += wire;
        packets++;
        next += (long) (wire * nanosPerByte);
        return pace(next, deadline);
    }

    /** Sends a symbol in a feedback round: paced, but a round never makes up for time spent waiting. */
    private void sendRound(Block block, int id, int weight, long deadline) throws InterruptedException {
        int wire = sendSymbol(block, id, weight);
        bytes += wire;
        packets++;
        next = Math.max(next, System.nanoTime() - 1_000_000) + (long) (wire * nanosPerByte);
        pace(next, deadline);
    }

    @SuppressWarnings("unchecked")
    private static java.util.List<long[]>[] newLog(int blocks) {
        return new java.util.List[blocks];
    }

    /**
     * Records that symbol {@code id} of block {@code b} goes out as data symbol number {@link #dataSeq}: per block,
     * runs of consecutive ids sent one after the other ({first id, count, first sequence number}).
     */
    private void logSent(int b, int id) {
        var runs = sentLog[b];
        if (runs == null) {
            runs = sentLog[b] = new java.util.ArrayList<>();
        }
        long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
        if (last != null && last[0] + last[1] == id && last[2] + last[1] == dataSeq) {
            last[1]++;
        } else {
            runs.add(new long[] {id, 1, dataSeq});
        }
        dataSeq++;
    }

    /**
     * How many symbols of block {@code b} went out after symbol {@code atId} of block {@code atBlock} (the newest a
     * receiver had taken in when it reported): still on their way to that receiver. 0 when that symbol is not one
     * this sender sent (no discount).
     */
    int sentAfter(int b, int atBlock, int atId) {
        if (b >= sentLog.length || sentLog[b] == null) {
            return 0;
        }
        long at = sequenceOf(atBlock, atId);
        if (at < 0) {
            return 0;
        }
        long after = 0;
        var runs = sentLog[b];
        for (int i = runs.size() - 1; i >= 0; i--) {
            long[] r = runs.get(i);
            long lastSeq = r[2] + r[1] - 1;
            if (lastSeq <= at) {
                break;
            }
            after += Math.min(r[1], lastSeq - at);
        }
        return (int) Math.min(Integer.MAX_VALUE, after);
    }

    /**
     * The data sequence number symbol {@code id} of block {@code block} last went out with, or -1 when this sender
     * has not sent it.
     */
    long sequenceOf(int block, int id) {
        if (block < 0 || block >= sentLog.length || sentLog[block] == null) {
            return -1;
        }
        var runs = sentLog[block];
        for (int i = runs.size() - 1; i >= 0; i--) { // the newest run that holds it (sources may go twice)
            long[] r = runs.get(i);
            if (id >= r[0] && id < r[0] + r[1]) {
                return r[2] + (id - r[0]);
            }
        }
        return -1;
    }

    /**
     * Flow control, in feedback mode: while a box that says it is behind (a progress report within the last feedback
     * window) has not taken in the symbol {@link #flowWindow} data symbols back,
     * waits for it, so that the pass does not overrun its socket; boxes that keep up send no such reports and hold
     * nothing. Bounded by the deadline; a box that stops reporting stops holding the sender a window later.
     */
    private void holdForSlowest(long deadline) throws InterruptedException {
        if (feedback == null || flowWindow <= 0) {
            return;
        }
        long held = 0;
        while (true) {
            long now = System.nanoTime();
            long slowest = Long.MAX_VALUE;
            for (int[] p : feedback.positionsSince(now - plan.feedbackWindow().toNanos())) {
                long seq = sequenceOf(p[0], p[1]);
                if (seq >= 0) {
                    slowest = Math.min(slowest, seq);
                }
            }
            if (slowest == Long.MAX_VALUE || dataSeq - slowest <= flowWindow || now - deadline >= 0) {
                if (held > 0) {
                    holds++;
                    heldNanos += now - held;
                    next = Math.max(next, now); // pacing does not make up for the time held
                }
                return;
            }
            if (held == 0) {
                held = now;
                flushRun(); // what is queued goes out while the sender waits
            }
            LockSupport.parkNanos(HOLD_POLL_NANOS);
        }
    }

    /** Reads block {@code b}'s source symbols with one read, zero-padding past the end of the image. */
    static void readBlock(ImageSource image, BlockLayout layout, int b, byte[][] source) throws IOException {
        ByteBuffer block = ByteBuffer.allocate((int) (layout.blockEnd(b) - layout.blockStart(b)));
        image.read(layout.blockStart(b), block);
        split(block.flip(), layout.k(b), source);
    }

    /**
     * Cuts a block's bytes (position 0 to limit) into its {@code k} source symbols, zero-padding past the end of the
     * image; leaves the buffer's position and limit anywhere.
     */
    private static void split(ByteBuffer block, int k, byte[][] source) {
        int length = block.limit();
        int symbolSize = source[0].length;
        for (int j = 0; j < k; j++) {
            int from = j * symbolSize;
            int len = Math.max(0, Math.min(symbolSize, length - from));
            block.limit(from + len).position(from);
            block.get(source[j], 0, len);
            java.util.Arrays.fill(source[j], len, symbolSize, (byte) 0);
            block.limit(length);
        }
    }

    /**
     * Encodes symbol {@code id} of a block straight from the block's bytes into the open run (no frame object, no
     * copy of the payload but the one into the datagram buffer). Returns its bytes on the wire (IP and UDP headers
     * included).
     */
    private int sendSymbol(Block block, int id, int weight) throws InterruptedException {
        if (feedback != null && block.b < sentLog.length) {
            // feedback mode only: a carousel without a return path may run for hours, and no report reads the log
            logSent(block.b, id);
        }
        int size = WireFormat.DATA_HEADER + block.length(id);
        ByteBuf out = runFor(size, data);
        FrameEncoder.encodeDataHeader(out, DataFrame.wireId(plan.transmissionId()), block.b, id, weight);
        if (id < block.code.k()) {
            block.writeSource(id, out);
        } else {
            block.repair(id, weight, repairScratch);
            out.writeBytes(repairScratch);
        }
        return endDatagram(size);
    }

    /** Sends any other frame (an announcement) in its own datagram of the run. */
    private int sendFrame(Frame frame, InetSocketAddress to) throws InterruptedException {
        int size = FrameEncoder.encodedSize(frame);
        FrameEncoder.encode(frame, runFor(size, to));
        return endDatagram(size);
    }

    /**
     * The buffer to encode a datagram of {@code size} bytes to {@code to} into: the open run's when the datagram may
     * join it (same address, no longer than the run's datagrams), else a new run's after the open one has gone.
     */
    private ByteBuf runFor(int size, InetSocketAddress to) throws InterruptedException {
        if (runBuf != null && (size > runSegment || !to.equals(runTo))) {
            flushRun();
        }
        if (runBuf == null) {
            runMax = Math.max(1, Math.min(Math.min(MAX_SEGMENTS, BATCH), MAX_SEGMENTED_BYTES / size));
            runBuf = channel.alloc().directBuffer(runMax * size);
            runSegment = size;
            runTo = to;
            runCount = 0;
        }
        return runBuf;
    }

    /** Books the datagram just encoded into the run; the run goes once full or once a shorter datagram ended it. */
    private int endDatagram(int size) throws InterruptedException {
        runCount++;
        if (runCount == runMax || size < runSegment) {
            flushRun();
        }
        int wire = size + 28;
        sentBytes.addAndGet(wire);
        return wire;
    }

    /**
     * Hands the open run to the channel's event loop in one task, which writes and flushes it: one cross-thread
     * hand-off (and at most one wake-up) per run, not per datagram. With UDP segmentation offload the run goes to the
     * kernel as one buffer with {@code UDP_SEGMENT} set, which cuts it into the same datagrams (one system call and
     * one pass through the socket layer per run); without it, datagram by datagram (slices of the one buffer). Runs
     * in flight are bounded, which bounds the memory queued behind a slow link.
     */
    private void flushRun() throws InterruptedException {
        if (runBuf == null) {
            return;
        }
        ByteBuf buf = runBuf;
        int segment = runSegment;
        int count = runCount;
        InetSocketAddress to = runTo;
        runBuf = null;
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (inFlight.get() >= MAX_BATCHES_IN_FLIGHT || !channel.isWritable()) {
            if (System.nanoTime() > waitUntil) {
                buf.release();
                throw new InterruptedException("multicast channel not writable for 5 s");
            }
            LockSupport.parkNanos(50_000);
        }
        inFlight.incrementAndGet();
        try {
            channel.eventLoop().execute(() -> {
                try {
                    writeRun(buf, segment, count, to);
                    channel.flush();
                } finally {
                    inFlight.decrementAndGet();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) { // the channel's loop has shut down
            inFlight.decrementAndGet();
            buf.release();
            throw e;
        }
    }

    private void writeRun(ByteBuf buf, int segment, int count, InetSocketAddress to) {
        if (count == 1) {
            channel.write(new DatagramPacket(buf, to), channel.voidPromise());
        } else if (segmentation) {
            channel.write(new io.netty.channel.epoll.SegmentedDatagramPacket(buf, segment, to), channel.voidPromise());
        } else {
            try {
                for (int at = buf.readerIndex(); at < buf.writerIndex(); at += segment) {
                    channel.write(new DatagramPacket(buf.retainedSlice(at, Math.min(segment, buf.writerIndex() - at)),
                            to), channel.voidPromise());
                }
            } finally {
                buf.release();
            }
        }
    }

    /**
     * Paces by run: while a run is filling, datagrams are only counted; once it has gone out (in one burst, see
     * {@link #flushRun}), waits until the time its last datagram was due. The average rate is the plan's; the
     * datagrams leave in bursts of {@value #BATCH}, so a receiver wakes once per burst rather than once per datagram
     * (a wake-up costs tens of microseconds on a virtual machine, more than reading the datagram). False once the
     * overall deadline has passed.
     */
    private boolean pace(long next, long deadline) throws InterruptedException {
        long now = System.nanoTime();
        if (runBuf != null && next - now < MAX_AHEAD_NANOS) {
            return now < deadline;
        }
        flushRun();
        while (next - (now = System.nanoTime()) > 0) {
            LockSupport.parkNanos(next - now);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        return now < deadline;
    }

}
