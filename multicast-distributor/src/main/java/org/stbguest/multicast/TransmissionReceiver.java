package org.stbguest.multicast;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
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
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.Manifest;
import org.stbguest.multicast.wire.DataFrame;
import org.stbguest.multicast.wire.Frame;
import org.stbguest.multicast.wire.FrameDecoder;

/**
 * Receives one transmission: joins its data group on the named interface, reassembles symbols into chunks in any
 * order (lost, repeated and reordered packets are fine; the carousel fills gaps), checks every completed chunk
 * against the trusted manifest on a worker, and hands verified chunks to a {@link ChunkSink}. A chunk that fails
 * verification (a forged or corrupted symbol) is discarded and received again on the next cycle. Packets of other
 * transmissions and malformed packets are ignored.
 */
public final class TransmissionReceiver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TransmissionReceiver.class);

    private final TransmissionInfo info;
    private final Manifest manifest;
    private final ChunkSink sink;
    private final Executor workers;
    private final int symbolCount;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicInteger chunksVerified = new AtomicInteger();
    private final AtomicLong rejectedChunks = new AtomicLong();
    private final AtomicLong symbolsReceived = new AtomicLong();
    private final FrameDecoder decoder = new FrameDecoder();
    // event-loop confined
    private final BitSet symbols = new BitSet();
    private final byte[][] chunkBuffers;
    private final int[] chunkFilled;
    private final BitSet chunksDone = new BitSet();
    private volatile DatagramChannel channel;

    private TransmissionReceiver(TransmissionInfo info, Manifest manifest, ChunkSink sink, Executor workers) {
        this.info = info;
        this.manifest = manifest;
        this.sink = sink;
        this.workers = workers;
        this.symbolCount = Math.toIntExact(Math.max(1, (manifest.size() + info.symbolSize() - 1) / info.symbolSize()));
        int chunks = manifest.chunkDigests().size();
        this.chunkBuffers = new byte[chunks][];
        this.chunkFilled = new int[chunks];
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
        var r = new TransmissionReceiver(info, manifest, sink, workers);
        for (int c = skip.nextSetBit(0); c >= 0 && c < r.chunkBuffers.length; c = skip.nextSetBit(c + 1)) {
            r.markChunkDone(c);
        }
        if (r.chunksVerified.get() == r.chunkBuffers.length) {
            r.done.complete(null);
            return r;
        }
        r.channel = MulticastChannels.openReceiver(eventLoops, settings, InetAddress.getByName(info.dataGroup()),
                info.dataPort(), r.decoder, r.new Handler());
        return r;
    }

    /** Completes when every chunk is verified and in the sink; fails if the sink fails. */
    public CompletableFuture<Void> completion() {
        return done;
    }

    /** Chunks verified and written so far. */
    public int chunksVerified() {
        return chunksVerified.get();
    }

    /** Chunks not yet verified (for unicast repair). Safe to call after {@link #close()}. */
    public synchronized BitSet missingChunks() {
        BitSet missing = new BitSet();
        missing.set(0, chunkBuffers.length);
        missing.andNot(chunksDone);
        return missing;
    }

    /** Distinct symbols received so far. */
    public long symbolsReceived() {
        return symbolsReceived.get();
    }

    /** Chunks that failed verification and were discarded. */
    public long rejectedChunks() {
        return rejectedChunks.get();
    }

    /** Malformed or foreign datagrams dropped. */
    public long droppedPackets() {
        return decoder.dropped();
    }

    @Override
    public void close() {
        MulticastChannels.closeQuietly(channel);
    }

    private synchronized void markChunkDone(int chunk) {
        if (!chunksDone.get(chunk)) {
            chunksDone.set(chunk);
            chunksVerified.incrementAndGet();
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<Frame> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
            if (frame.kind() != Frame.Kind.DATA || frame.transmissionId() != info.transmissionId()) {
                return;
            }
            onData((DataFrame) frame);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("event=receiver_error tx={} error={}", info.transmissionId(), cause.toString());
        }
    }

    private void onData(DataFrame f) {
        int i = f.symbolIndex();
        if (f.symbolCount() != symbolCount || symbols.get(i)) {
            return;
        }
        long start = (long) i * info.symbolSize();
        int expectedLength = (int) Math.min(info.symbolSize(), manifest.size() - start);
        if (f.payload().length != expectedLength) {
            return;
        }
        symbols.set(i);
        symbolsReceived.incrementAndGet();
        long end = start + expectedLength;
        int chunkSize = manifest.chunkSize();
        for (int c = (int) (start / chunkSize); c <= (int) ((end - 1) / chunkSize); c++) {
            if (chunkBuffers[c] == null && isDone(c)) {
                continue;
            }
            long chunkStart = (long) c * chunkSize;
            long from = Math.max(start, chunkStart);
            long to = Math.min(end, chunkStart + manifest.chunkLength(c));
            if (chunkBuffers[c] == null) {
                chunkBuffers[c] = new byte[manifest.chunkLength(c)];
            }
            System.arraycopy(f.payload(), (int) (from - start), chunkBuffers[c], (int) (from - chunkStart), (int) (to - from));
            chunkFilled[c] += (int) (to - from);
            if (chunkFilled[c] == chunkBuffers[c].length) {
                byte[] chunk = chunkBuffers[c];
                chunkBuffers[c] = null;
                chunkFilled[c] = 0;
                int index = c;
                workers.execute(() -> verifyAndStore(index, chunk));
            }
        }
    }

    private synchronized boolean isDone(int chunk) {
        return chunksDone.get(chunk);
    }

    private void verifyAndStore(int chunk, byte[] data) {
        try {
            manifest.verifyChunk(chunk, data, 0, data.length);
        } catch (ImageVerificationException e) {
            rejectedChunks.incrementAndGet();
            log.warn("event=chunk_rejected tx={} chunk={} reason={}", info.transmissionId(), chunk, e.getMessage());
            DatagramChannel ch = channel;
            if (ch != null) {
                ch.eventLoop().execute(() -> forgetChunkSymbols(chunk));
            }
            return;
        }
        try {
            sink.accept(chunk, data);
        } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
            return;
        }
        markChunkDone(chunk);
        if (chunksVerified.get() == chunkBuffers.length) {
            done.complete(null);
        }
    }

    /** Lets every symbol overlapping a rejected chunk be received again. */
    private void forgetChunkSymbols(int chunk) {
        long chunkStart = (long) chunk * manifest.chunkSize();
        long chunkEnd = chunkStart + manifest.chunkLength(chunk);
        int first = (int) (chunkStart / info.symbolSize());
        int last = (int) ((chunkEnd - 1) / info.symbolSize());
        for (int s = first; s <= last; s++) {
            if (symbols.get(s)) {
                symbols.clear(s);
                // a symbol shared with a neighbouring chunk that is still filling must not be counted twice there
                long symStart = (long) s * info.symbolSize();
                long symEnd = Math.min(manifest.size(), symStart + info.symbolSize());
                for (int c = (int) (symStart / manifest.chunkSize()); c <= (int) ((symEnd - 1) / manifest.chunkSize()); c++) {
                    if (c != chunk && chunkBuffers[c] != null) {
                        long cs = (long) c * manifest.chunkSize();
                        long from = Math.max(symStart, cs);
                        long to = Math.min(symEnd, cs + manifest.chunkLength(c));
                        chunkFilled[c] -= (int) (to - from);
                    }
                }
            }
        }
        chunkBuffers[chunk] = null;
        chunkFilled[chunk] = 0;
    }
}
