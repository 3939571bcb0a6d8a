package org.stbguest.multicast;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetAddress;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.device.api.TransmissionInfo;
import org.stbguest.image.ChunkDigests;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.Manifest;
import org.stbguest.multicast.fec.BlockCode;
import org.stbguest.multicast.wire.DataFrame;
import org.stbguest.multicast.wire.FeedbackFrame;
import org.stbguest.multicast.wire.FrameDecoder;

/**
 * Receives one transmission: joins its data group on the named interface and feeds every symbol to its source
 * block's erasure decoder, in any order (lost, repeated, reordered, foreign and malformed packets are all fine).
 * A block is complete once any k of its symbols are in; a chunk of the manifest is assembled once every block it
 * overlaps is complete, checked against the trusted manifest on a worker, and handed to the {@link ChunkSink}. A
 * chunk that fails verification (a forged or corrupted symbol) resets exactly the blocks it overlaps, which are then
 * received again from the carousel's next symbols.
 */
public final class TransmissionReceiver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TransmissionReceiver.class);
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private final TransmissionInfo info;
    private final Manifest manifest;
    private final BlockLayout layout;
    private final ChunkSink sink;
    private final Executor workers;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final CompletableFuture<Void> reportsDone = new CompletableFuture<>();
    private final AtomicInteger chunksVerified = new AtomicInteger();
    private final AtomicLong rejectedChunks = new AtomicLong();
    private final AtomicLong symbolsUsed = new AtomicLong();
    /** CPU time the workers spent checking chunks against the manifest (hashing, mostly). */
    private final java.util.concurrent.atomic.LongAdder verificationCpuNanos =
            new java.util.concurrent.atomic.LongAdder();
    /**
     * Complete blocks held for chunks not yet verified (their decoders' stores): verification waits for a backlogged
     * socket only while these are few.
     */
    private final AtomicInteger heldBlocks = new AtomicInteger();
    /** Blocks being decoded plus decoded blocks not yet released (event-loop thread only), and their peak. */
    private int liveDecoders;
    private volatile int peakLiveDecoders;
    private volatile long maxDecodeBytes = MAX_DECODE_BYTES;
    /** The lowest block some unwritten chunk still needs (event-loop thread only). */
    private int windowStart;
    /** Symbols dropped because decoding further blocks would exceed {@link #MAX_DECODE_BYTES}. */
    private final java.util.concurrent.atomic.LongAdder memoryDrops = new java.util.concurrent.atomic.LongAdder();
    /** When the receiving thread last found its socket backlogged (nanoTime; see Handler#channelReadComplete). */
    private volatile long backloggedAt = System.nanoTime() - (1L << 62); // never, so far
    /** Datagrams on the data group that were not well-formed frames. */
    private final java.util.concurrent.atomic.LongAdder dropped = new java.util.concurrent.atomic.LongAdder();
    // event-loop confined
    private final BlockCode.Decoder[] decoders;
    /** Complete blocks some unfinished chunk still needs: their decoders, which no longer change. */
    private final BlockCode.Decoder[] doneBlocks;
    private final BitSet blocksDone = new BitSet();
    private final long[] lastSymbolNanos;
    private int highestBlockSeen = -1;
    /**
     * The newest symbol taken in (block, id; -1: none) and when: reports carry the position while symbols are still
     * coming in (the sender then counts what it sent after it as on its way), and none once the socket has been quiet
     * for an interval (then everything sent is in or lost, and the deficit is taken as it is).
     */
    private int atBlock = -1;
    private int atId = -1;
    private long atNanos;
    /** Whether the last read from the data socket emptied it (fewer datagrams than one batch). */
    private boolean lastReadDrained = true;
    /** A report without a position has been put off until the loop has polled its socket once (event loop only). */
    private boolean reportPutOff;
    private long reportIntervalNanos;
    private final int[] chunkBlocksMissing;
    private final BitSet chunksPending = new BitSet();
    // shared with workers
    private final BitSet chunksDone = new BitSet();
    private volatile DatagramChannel channel;
    private volatile DatagramChannel feedbackChannel;
    private volatile java.util.concurrent.ScheduledFuture<?> reporting;
    private final int receiverId = new java.security.SecureRandom().nextInt();
    private int finalReports = 3;
    /** Runs work that must happen on the receiving thread: the channel's event loop, or inline when detached. */
    private volatile Executor loop = Runnable::run;

    /** Consecutive full reads that mean the socket has a backlog (each read takes up to a batch of datagrams). */
    private static final int BACKLOG_READS = 4;
    /** How long a backlog, once seen, counts as present. */
    private static final long BACKLOG_MEMORY_NANOS = 2_000_000;
    /** Most complete blocks held while verification waits; past it, chunks are verified even while backlogged. */
    private static final int MAX_HELD_BLOCKS = 3;
    /**
     * The most memory the blocks being decoded and the decoded blocks waiting to be written may take together
     * ({@code stbguest.multicast.maxDecodeBytes}, default 16 MiB; two blocks are always allowed): the width of the
     * decode window. When the box writes more slowly than the sender sends, symbols of blocks past the window are
     * dropped, not queued: they come round again in the carousel, or the box repairs them by unicast. Memory stays
     * flat in the image's size and the sender's rate.
     */
    static final long MAX_DECODE_BYTES = Long.getLong("stbguest.multicast.maxDecodeBytes", 16L << 20);
    /**
     * Silence after which a receiver reports every block it lacks, those it has never seen included: long against
     * the scheduling pauses of a busy box, short against the sender's wait for reports after its pass (40 windows).
     */
    private static final long LONG_QUIET_NANOS = 1_000_000_000L;
    /** Longest one chunk's verification waits for a backlog to clear. */
    private static final long MAX_VERIFY_DELAY_NANOS = 2_000_000_000L;
    /** Whether verification yields to a backlogged socket ({@code stbguest.multicast.verifyYield}, default true). */
    private static final boolean VERIFY_YIELD =
            Boolean.parseBoolean(System.getProperty("stbguest.multicast.verifyYield", "true"));

    private TransmissionReceiver(TransmissionInfo info, Manifest manifest, ChunkSink sink, Executor workers) {
        this.info = info;
        this.manifest = manifest;
        this.layout = new BlockLayout(manifest.size(), info.symbolSize(), info.blockSymbols());
        this.sink = sink;
        this.workers = workers;
        this.decoders = new BlockCode.Decoder[layout.blocks()];
        this.doneBlocks = new BlockCode.Decoder[layout.blocks()];
        this.lastSymbolNanos = new long[layout.blocks()];
        int chunks = manifest.chunkDigests().size();
        this.chunkBlocksMissing = new int[chunks];
        for (int c = 0; c < chunks; c++) {
            chunkBlocksMissing[c] = lastBlock(c) - firstBlock(c) + 1;
        }
        if (chunks == 0) {
            done.complete(null);
        }
    }

    /**
     * Starts receiving.
     *
     * @param skip chunks the sink already holds (from an interrupted earlier attempt); they are not received again
     */
    public static TransmissionReceiver start(EventLoopGroup eventLoops, MulticastSettings settings, TransmissionInfo info,
                                             Manifest manifest, BitSet skip, ChunkSink sink, Executor workers)
            throws InterruptedException, java.net.UnknownHostException {
        return start(eventLoops, settings, info, manifest, skip, sink, workers, null);
    }

    /** Where and how often a receiver reports its deficits, in feedback mode. */
    public record Feedback(java.net.InetSocketAddress sender, java.time.Duration interval) {
    }

    /** As {@link #start}, with an extra inbound handler before the decoder (tests inject loss with it). */
    static TransmissionReceiver start(EventLoopGroup eventLoops, MulticastSettings settings, TransmissionInfo info,
                                      Manifest manifest, BitSet skip, ChunkSink sink, Executor workers,
                                      ChannelHandler filter) throws InterruptedException, java.net.UnknownHostException {
        return start(eventLoops, settings, info, manifest, skip, sink, workers, filter, null);
    }

    /**
     * Starts receiving and, with {@code feedback}, reports per-block deficits to the sender by unicast every
     * interval (only once symbols have arrived, and "complete" a few times at the end).
     */
    public static TransmissionReceiver start(EventLoopGroup eventLoops, MulticastSettings settings, TransmissionInfo info,
                                             Manifest manifest, BitSet skip, ChunkSink sink, Executor workers,
                                             ChannelHandler filter, Feedback feedback)
            throws InterruptedException, java.net.UnknownHostException {
        var r = new TransmissionReceiver(info, manifest, sink, workers);
        for (int c = skip.nextSetBit(0); c >= 0 && c < r.chunkBlocksMissing.length; c = skip.nextSetBit(c + 1)) {
            r.markChunkDone(c);
        }
        if (r.chunksVerified.get() == r.chunkBlocksMissing.length) {
            r.done.complete(null);
            return r;
        }
        for (int b = 0; b < r.layout.blocks(); b++) {
            if (r.blockWritten(b)) {
                r.blocksDone.set(b); // every chunk over it is held already: its symbols are not decoded at all
            }
        }
        r.channel = MulticastChannels.openReceiver(eventLoops, settings, InetAddress.getByName(info.dataGroup()),
                info.dataPort(), null, r.new Handler(), filter,
                org.stbguest.multicast.wire.WireFormat.DATA_HEADER + info.symbolSize());
        r.loop = r.channel.eventLoop();
        if (feedback != null) {
            r.feedbackChannel = MulticastChannels.openUnicast(eventLoops, settings);
            long ms = feedback.interval().toMillis();
            r.reportIntervalNanos = feedback.interval().toNanos();
            r.reporting = r.channel.eventLoop().scheduleAtFixedRate(() -> r.reportSafely(feedback.sender()), ms, ms,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        return r;
    }

    /** A receiver with no socket, for feeding frames through {@link #handler()} (pipeline tests and fuzzing). */
    static TransmissionReceiver detached(TransmissionInfo info, Manifest manifest, ChunkSink sink, Executor workers) {
        return new TransmissionReceiver(info, manifest, sink, workers);
    }

    /** The handler of this receiver (datagrams in), to put in a pipeline. */
    ChannelHandler[] pipeline() {
        return new ChannelHandler[] {new Handler()};
    }

    /** The thread that owns this receiver's state: its channel's event loop (tests run work there). */
    Executor eventLoop() {
        return loop;
    }

    /** Completes when every chunk is verified and in the sink; fails if the sink fails. */
    public CompletableFuture<Void> completion() {
        return done;
    }

    /** In feedback mode: completes once the final "complete" reports have gone to the sender. */
    public CompletableFuture<Void> finalReportsSent() {
        return reportsDone;
    }

    /**
     * A one-line account of the receiver's state (blocks done, each open block's deficit, chunks verified and in
     * verification), taken on the receiving thread: for diagnosing a transfer that does not finish.
     */
    public CompletableFuture<String> status() {
        var out = new CompletableFuture<String>();
        loop.execute(() -> {
            var sb = new StringBuilder("blocks_done=").append(blocksDone.cardinality()).append('/').append(layout.blocks());
            for (int b = blocksDone.nextClearBit(0); b < layout.blocks(); b = blocksDone.nextClearBit(b + 1)) {
                sb.append(" block").append(b).append("_deficit=")
                        .append(decoders[b] == null ? "none" : String.valueOf(decoders[b].deficit()));
            }
            sb.append(" chunks_verified=").append(chunksVerified.get()).append('/').append(chunkBlocksMissing.length)
                    .append(" chunks_in_verification=").append(chunksInVerification())
                    .append(" rejected=").append(rejectedChunks.get());
            out.complete(sb.toString());
        });
        return out;
    }

    private synchronized int chunksInVerification() {
        BitSet pending = (BitSet) chunksPending.clone();
        pending.andNot(chunksDone);
        return pending.cardinality();
    }

    /** Chunks verified and written so far. */
    /**
     * The first block past the decode window: blocks are decoded only from the lowest block some unwritten chunk
     * still needs, over as many blocks as {@link #maxDecodeBytes} holds (at least two, so a chunk that straddles two
     * blocks can always be finished). The window slides as chunks are written, like a transport's receive window; a
     * box that keeps up never meets its edge.
     */
    private int windowBase() {
        // a written block still counts until the loop has let go of its decoder (releaseBlocks runs after the write)
        while (windowStart < layout.blocks() && blockWritten(windowStart) && doneBlocks[windowStart] == null) {
            windowStart++;
        }
        long blockBytes = (long) info.blockSymbols() * info.symbolSize();
        return windowStart + (int) Math.max(2, Math.min(layout.blocks(), maxDecodeBytes / blockBytes));
    }

    /** Whether every chunk overlapping block {@code b} has been written. */
    private boolean blockWritten(int b) {
        for (int c = firstChunk(b); c <= lastChunk(b); c++) {
            if (!isChunkDone(c)) {
                return false;
            }
        }
        return true;
    }

    /** Lowers this receiver's decode memory bound (tests). */
    void limitDecodeBytes(long bytes) {
        maxDecodeBytes = bytes;
    }

    /** The most blocks decoded or waiting to be written at once. */
    int peakLiveDecoders() {
        return peakLiveDecoders;
    }

    /** Symbols dropped because the box was behind and decoding more blocks would have exceeded its memory bound. */
    public long symbolsDroppedForMemory() {
        return memoryDrops.sum();
    }

    public int chunksVerified() {
        return chunksVerified.get();
    }

    /** Chunks not yet verified (for unicast repair). Safe to call after {@link #close()}. */
    public synchronized BitSet missingChunks() {
        BitSet missing = new BitSet();
        missing.set(0, chunkBlocksMissing.length);
        missing.andNot(chunksDone);
        return missing;
    }

    /** CPU time spent checking chunks against the manifest so far, in nanoseconds (0 where the JVM cannot tell). */
    public long verificationCpuNanos() {
        return verificationCpuNanos.sum();
    }

    /** Chunks that failed verification and were received again. */
    public long rejectedChunks() {
        return rejectedChunks.get();
    }

    /** Malformed or foreign datagrams dropped. */
    public long droppedPackets() {
        return dropped.sum();
    }

    /** Symbols that went into a decoder (not duplicates, not past a complete block). */
    public long symbolsReceived() {
        return symbolsUsed.get();
    }

    @Override
    public void close() {
        var r = reporting;
        if (r != null) {
            r.cancel(false);
        }
        MulticastChannels.closeQuietly(channel);
        MulticastChannels.closeQuietly(feedbackChannel);
    }

    /**
     * A periodic task that throws is cancelled without a word, and a receiver that stops reporting is left behind by
     * the sender: an exception here is logged, and the next interval reports again.
     */
    void reportSafely(java.net.InetSocketAddress sender) { // package-private: tests report at a moment they choose
        try {
            report(sender);
        } catch (RuntimeException e) {
            log.warn("event=report_failed tx={} error={}", info.transmissionId(), e.toString(), e);
        }
    }

    /** Sends this receiver's deficits (on the receiving event loop, which owns the decoder state). */
    private void report(java.net.InetSocketAddress sender) {
        DatagramChannel out = feedbackChannel;
        if (out == null || symbolsUsed.get() == 0) {
            return;
        }
        if (done.isDone()) {
            if (finalReports-- > 0) {
                out.writeAndFlush(new io.netty.channel.DefaultAddressedEnvelope<>(new FeedbackFrame(
                        info.transmissionId(), receiverId, new int[0], new int[0]), sender));
            } else {
                reportsDone.complete(null);
                if (reporting != null) {
                    reporting.cancel(false);
                }
            }
            return;
        }
        int[] blocks = new int[FeedbackFrame.MAX_ENTRIES];
        int[] deficits = new int[FeedbackFrame.MAX_ENTRIES];
        int n = 0;
        // report only what the sender has certainly passed: blocks behind the newest one seen (all of them once the
        // last block has been seen), and quiet for an interval, so symbols still queued in the socket do not count
        // as lost; but once nothing at all has come in for a long while (LONG_QUIET), every block not complete,
        // seen or not: a box that lost the whole tail of the pass (its socket overran) has not seen the last blocks,
        // and the sender, which has passed them, would otherwise never hear of them
        //
        // Quiet means the last read emptied the socket, too: on a box whose cores are busy the event loop can be off
        // the CPU for longer than an interval with datagrams queued for it, and a deficit taken as it is would count
        // them as lost, and the sender would send that many again for nothing (the suspected cause of a run of sixteen
        // boxes on two cores where the sender answered a deficit of 1,859 symbols, 1.4% of the image, for the last block
        // right after the pass). While the socket may hold more, the report carries the position, and the sender
        // counts what it sent after it as on its way.
        long now = System.nanoTime();
        long longQuietNanos = Math.max(LONG_QUIET_NANOS, 10 * reportIntervalNanos);
        boolean longQuiet = now - atNanos > longQuietNanos;
        int reportUpTo = longQuiet || highestBlockSeen == layout.blocks() - 1 ? layout.blocks() : highestBlockSeen;
        long quietSince = now - reportIntervalNanos;
        boolean receiving = receiving(now, atNanos, reportIntervalNanos, longQuietNanos, lastReadDrained);
        if (!receiving && !reportPutOff && loop instanceof io.netty.channel.EventLoop eventLoop) {
            // The loop may have been busy past an interval (a block's decode, or off the CPU) while datagrams queued
            // behind its last read, which emptied the socket then: the deficit would count them as lost. A scheduled
            // task runs only after the loop's next poll of its sockets, so the report waits for one read of whatever
            // has queued (and then carries the position, if anything had), at the cost of one poll when nothing had.
            reportPutOff = true;
            eventLoop.schedule(() -> reportSafely(sender), 0, java.util.concurrent.TimeUnit.NANOSECONDS);
            return;
        }
        reportPutOff = false;
        int last = layout.blocks() - 1;
        if (!receiving && !longQuiet && highestBlockSeen == last && !blocksDone.get(last)
                && deficit(last) * 4L >= layout.k(last)) {
            // The last block lacks a quarter or more, which the sender answers with all its sources, as for a box that
            // joined late. A box that was receiving it a moment ago is more likely behind than short: its symbols can
            // still be in the kernel, upstream of an empty socket (sixteen boxes on two cores: one such report without
            // a position, right after a pass without loss, cost 10,231 symbols, 11% of the image). So the report
            // carries the position, and the sender counts what it sent after it as on its way; if that was lost
            // after all, the report after a long quiet says so without one.
            receiving = true;
        }
        for (int b = blocksDone.nextClearBit(0); b < reportUpTo; b = blocksDone.nextClearBit(b + 1)) {
            if (lastSymbolNanos[b] > quietSince) {
                continue;
            }
            blocks[n] = b;
            deficits[n] = deficit(b);
            if (deficits[n] > 0 && ++n == FeedbackFrame.MAX_ENTRIES) {
                send(out, sender, receiving, blocks, deficits, n);
                n = 0;
            }
        }
        if (n > 0) {
            send(out, sender, receiving, blocks, deficits, n);
        }
        if (receiving && now - backloggedAt < 2 * reportIntervalNanos) {
            // behind: its socket has had a queue within the last two intervals (the second: one more report once it
            // has caught up, whose fresh position lets the sender go on at once). The position tells the sender how
            // far behind, and it holds back rather than overrun this box's socket (flow control); a box that keeps
            // up says nothing, so a fleet of any size costs the sender only its slow boxes' progress reports
            send(out, sender, true, blocks, deficits, 0);
        }
    }

    /** Symbols block {@code b} still needs (all its sources before its first symbol). */
    private int deficit(int b) {
        return decoders[b] == null ? layout.k(b) : decoders[b].deficit();
    }

    /**
     * Whether a report should carry the box's position (symbols the sender sent after it are on their way): while
     * symbols are coming in ({@code lastSymbol} within an interval), and while the last read did not empty the socket,
     * up to a long quiet (a loop off the CPU for that long is not believed: a last read that happened to fill a batch
     * exactly must not keep a box "receiving" for ever).
     */
    static boolean receiving(long now, long lastSymbol, long intervalNanos, long longQuietNanos,
                             boolean lastReadDrained) {
        return now - lastSymbol < intervalNanos || !lastReadDrained && now - lastSymbol <= longQuietNanos;
    }

    private void send(DatagramChannel out, java.net.InetSocketAddress sender, boolean receiving, int[] blocks,
                      int[] deficits, int n) {
        if (log.isDebugEnabled()) {
            log.debug("event=report_sent tx={} receiver={} at_block={} at_id={} blocks={} deficits={}",
                    info.transmissionId(), receiverId, receiving ? atBlock : -1, receiving ? atId : -1,
                    java.util.Arrays.toString(java.util.Arrays.copyOf(blocks, n)),
                    java.util.Arrays.toString(java.util.Arrays.copyOf(deficits, n)));
        }
        out.writeAndFlush(new io.netty.channel.DefaultAddressedEnvelope<>(new FeedbackFrame(info.transmissionId(),
                receiverId, receiving ? atBlock : -1, receiving ? atId : -1, java.util.Arrays.copyOf(blocks, n),
                java.util.Arrays.copyOf(deficits, n)), sender));
    }

    /**
     * Reads datagrams. A data frame's header is read in place and its payload goes from the datagram's buffer straight
     * into the block's decoder (no frame object, no copy but the decoder's own); anything else is decoded as a frame
     * only to tell a well-formed foreign frame from a malformed datagram, which is counted, and is then ignored.
     */
    private final class Handler extends SimpleChannelInboundHandler<DatagramPacket> implements FrameDecoder.DataReader {

        private final long wireId = DataFrame.wireId(info.transmissionId());
        /** Datagrams in the current read, and consecutive reads that took a whole batch. */
        private int readDatagrams;
        private int fullReads;

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // a read takes at most one batch of datagrams (recvmmsg); batch after batch means the socket has a queue
            lastReadDrained = readDatagrams < MulticastChannels.DATAGRAMS_PER_READ;
            if (!lastReadDrained) {
                if (++fullReads >= BACKLOG_READS) {
                    backloggedAt = System.nanoTime();
                }
            } else {
                fullReads = 0;
            }
            readDatagrams = 0;
            ctx.fireChannelReadComplete();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            readDatagrams++;
            ByteBuf buf = packet.content();
            FrameDecoder.DataRead read = FrameDecoder.readData(buf, this);
            if (read == FrameDecoder.DataRead.MALFORMED
                    || read == FrameDecoder.DataRead.OTHER && FrameDecoder.decode(buf) == null) {
                dropped.increment();
            }
        }

        @Override
        public void data(long transmissionId, int block, int symbolId, int weight, ByteBuf buf, int payloadIndex,
                         int payloadLength) {
            if (transmissionId == wireId) {
                onSymbol(block, symbolId, weight,
                        buf.nioBuffer(payloadIndex, payloadLength).order(java.nio.ByteOrder.LITTLE_ENDIAN));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("event=receiver_error tx={} error={}", info.transmissionId(), cause.toString());
        }
    }

    /** Symbol {@code id} of block {@code b}: its bytes are {@code symbol}'s from position to limit. */
    private void onSymbol(int b, int id, int weight, java.nio.ByteBuffer symbol) {
        if (b >= layout.blocks()) {
            return;
        }
        atBlock = b;
        atId = id;
        atNanos = System.nanoTime();
        if (blocksDone.get(b)) {
            return;
        }
        int k = layout.k(b);
        lastSymbolNanos[b] = System.nanoTime();
        highestBlockSeen = Math.max(highestBlockSeen, b);
        if (id < k) {
            if (symbol.remaining() != layout.symbolLength(b, id) || weight != 0) {
                return;
            }
        } else if (symbol.remaining() != info.symbolSize()) {
            return;
        }
        BlockCode.Decoder d = decoders[b];
        if (d == null) {
            if (b >= windowBase()) {
                memoryDrops.increment(); // the box is behind: this block's symbols come round again
                return;
            }
            liveDecoders++;
            peakLiveDecoders = Math.max(peakLiveDecoders, liveDecoders);
            BlockCode code = BlockCode.of(info.blockSymbols(), k, info.symbolSize());
            d = code.decoder(b, code.storeLength() > 0 ? DecoderStores.take(code.storeLength()) : null);
            decoders[b] = d;
        }
        if (!d.add(id, weight, symbol)) {
            return;
        }
        symbolsUsed.incrementAndGet();
        if (d.complete()) {
            // the loop only books the block; chunks are copied out of the decoders and verified on a worker
            doneBlocks[b] = d;
            heldBlocks.incrementAndGet();
            decoders[b] = null;
            blocksDone.set(b);
            java.util.List<Integer> ready = new java.util.ArrayList<>();
            for (int c = firstChunk(b); c <= lastChunk(b); c++) {
                if (!isChunkDone(c) && !chunksPending.get(c) && --chunkBlocksMissing[c] == 0) {
                    chunksPending.set(c);
                    ready.add(c);
                }
            }
            // verified in batches of about a vector unit's lanes (ChunkDigests hashes a batch's chunks together),
            // of equal sizes, since a pass costs the same however many of its lanes are used
            int batches = (ready.size() + ChunkDigests.lanes() - 1) / ChunkDigests.lanes();
            for (int i = 0; i < batches; i++) {
                int[] chunks = ready.subList(i * ready.size() / batches, (i + 1) * ready.size() / batches).stream()
                        .mapToInt(Integer::intValue).toArray();
                int partsFrom = firstBlock(chunks[0]);
                BlockCode.Decoder[] parts =
                        java.util.Arrays.copyOfRange(doneBlocks, partsFrom, lastBlock(chunks[chunks.length - 1]) + 1);
                workers.execute(() -> {
                    yieldToReceiving();
                    byte[][] data = new byte[chunks.length][];
                    try {
                        for (int j = 0; j < chunks.length; j++) {
                            data[j] = assemble(chunks[j], parts, partsFrom);
                        }
                    } catch (RuntimeException e) { // a bug, not bad input: fail the transfer, never hang it
                        done.completeExceptionally(e);
                        return;
                    }
                    verifyAndStore(chunks, data);
                });
            }
        }
    }

    /**
     * On a worker, before verifying a chunk: waits while the receiving thread is behind (its socket backlogged) and few
     * complete blocks are held. On a box whose cores are all busy, hashing a chunk now takes the CPU the receiving
     * thread needs to drain its socket before it overflows, and every datagram lost to an overflow must be repaired;
     * the chunk is verified a moment later at the same cost. Bounded in memory ({@value #MAX_HELD_BLOCKS} blocks) and
     * in time (2 s per chunk), so verification is put off, never starved.
     */
    private void yieldToReceiving() {
        long limit = System.nanoTime() + MAX_VERIFY_DELAY_NANOS;
        while (VERIFY_YIELD && System.nanoTime() - backloggedAt < BACKLOG_MEMORY_NANOS && heldBlocks.get() <= MAX_HELD_BLOCKS
                && System.nanoTime() - limit < 0) {
            // a coarse wait: sixteen receivers on two cores polling finely would spend what verification saves
            java.util.concurrent.locks.LockSupport.parkNanos(BACKLOG_MEMORY_NANOS);
        }
    }

    private static long threadCpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? Math.max(0, THREADS.getCurrentThreadCpuTime()) : 0;
    }

    /** Chunk {@code c}'s bytes, from the complete blocks it overlaps ({@code parts}, block {@code partsFrom} first). */
    private byte[] assemble(int c, BlockCode.Decoder[] parts, int partsFrom) {
        byte[] chunk = new byte[manifest.chunkLength(c)];
        long chunkStart = (long) c * manifest.chunkSize();
        long chunkEnd = chunkStart + chunk.length;
        for (int b = firstBlock(c); b <= lastBlock(c); b++) {
            long from = Math.max(chunkStart, layout.blockStart(b));
            long to = Math.min(chunkEnd, layout.blockEnd(b));
            if (from < to) {
                parts[b - partsFrom].copyTo(from - layout.blockStart(b), chunk, (int) (from - chunkStart), (int) (to - from));
            }
        }
        return chunk;
    }

    /** Checks a batch of chunks (hashed together), stores those that match and sends the others back for repair. */
    private void verifyAndStore(int[] chunks, byte[][] data) {
        long cpuBefore = threadCpuNanos();
        ImageVerificationException[] errors = manifest.checkChunks(chunks, data);
        verificationCpuNanos.add(threadCpuNanos() - cpuBefore);
        for (int i = 0; i < chunks.length; i++) {
            int chunk = chunks[i];
            if (errors[i] != null) {
                rejectedChunks.incrementAndGet();
                log.warn("event=chunk_rejected tx={} chunk={} reason={}", info.transmissionId(), chunk,
                        errors[i].getMessage());
                loop.execute(() -> resetChunk(chunk));
                continue;
            }
            try {
                sink.accept(chunk, data[i]);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
                return;
            }
            markChunkDone(chunk);
            loop.execute(() -> releaseBlocks(chunk));
        }
        if (chunksVerified.get() == chunkBlocksMissing.length) {
            done.complete(null);
        }
    }

    /**
     * A chunk failed verification: forget every block it overlaps and wait for fresh symbols. Every chunk over those
     * blocks that is waiting (the rejected one included, and any rejected with it from the same forged block) counts
     * its missing blocks afresh; chunks still being verified are left to their own verdict.
     */
    private void resetChunk(int c) {
        chunksPending.clear(c);
        for (int b = firstBlock(c); b <= lastBlock(c); b++) {
            if (blocksDone.get(b)) {
                blocksDone.clear(b);
                release(b);
            }
            if (decoders[b] != null) {
                liveDecoders--;
            }
            decoders[b] = null;
        }
        for (int other = firstChunk(firstBlock(c)); other <= lastChunk(lastBlock(c)); other++) {
            if (!isChunkDone(other) && !chunksPending.get(other)) {
                int missing = 0;
                for (int b = firstBlock(other); b <= lastBlock(other); b++) {
                    missing += blocksDone.get(b) ? 0 : 1;
                }
                chunkBlocksMissing[other] = missing;
            }
        }
    }

    /** Drops decoded blocks no unfinished chunk needs any more. */
    private void releaseBlocks(int c) {
        for (int b = firstBlock(c); b <= lastBlock(c); b++) {
            boolean needed = false;
            for (int other = firstChunk(b); other <= lastChunk(b); other++) {
                needed |= !isChunkDone(other);
            }
            if (!needed) {
                recycle(b);
            }
        }
    }

    /** Lets go of complete block {@code b}'s decoder, if still held. */
    private void release(int b) {
        if (doneBlocks[b] != null) {
            doneBlocks[b] = null;
            heldBlocks.decrementAndGet();
            liveDecoders--;
        }
    }

    /**
     * Lets go of complete block {@code b}'s decoder and keeps its memory for a later decoder ({@link DecoderStores}):
     * only once every chunk overlapping the block has been copied out, so no worker reads it any more.
     */
    private void recycle(int b) {
        BlockCode.Decoder d = doneBlocks[b];
        release(b);
        if (d != null) {
            DecoderStores.give(d.release());
        }
    }

    private synchronized boolean isChunkDone(int c) {
        return chunksDone.get(c);
    }

    private synchronized void markChunkDone(int c) {
        if (!chunksDone.get(c)) {
            chunksDone.set(c);
            chunksVerified.incrementAndGet();
        }
    }

    private int firstBlock(int chunk) {
        return layout.blockOf((long) chunk * manifest.chunkSize());
    }

    private int lastBlock(int chunk) {
        return layout.blockOf((long) chunk * manifest.chunkSize() + manifest.chunkLength(chunk) - 1);
    }

    private int firstChunk(int block) {
        return (int) (layout.blockStart(block) / manifest.chunkSize());
    }

    private int lastChunk(int block) {
        long end = Math.max(layout.blockStart(block), layout.blockEnd(block) - 1);
        return (int) Math.min(manifest.chunkDigests().size() - 1, end / manifest.chunkSize());
    }
}
