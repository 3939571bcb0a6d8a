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
import org.stbguest.multicast.wire.AnnounceFrame;
import org.stbguest.multicast.wire.DataFrame;
import org.stbguest.multicast.wire.Frame;
import org.stbguest.multicast.wire.FrameEncoder;
import org.stbguest.multicast.wire.WireFormat;

/**
 * Sends one image in a carousel: announce on the control group, then every symbol on the data group at the planned
 * rate, and again, until the caller says stop, the cycles run out or the time is up. Runs on the calling thread
 * (never an event loop) and paces itself; the channel's writability bounds what is queued.
 */
public final class TransmissionSender {

    private static final Logger log = LoggerFactory.getLogger(TransmissionSender.class);
    private static final int ANNOUNCE_EVERY = 512;

    private final DatagramChannel channel;
    private final AtomicLong sentBytes;

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
     * Transmits until {@code keepGoing} turns false (checked between packets, cheaply, and between cycles) or the plan's
     * bounds are reached.
     */
    public Result transmit(TransmissionPlan plan, ImageSource image, BooleanSupplier keepGoing)
            throws IOException, InterruptedException {
        long size = image.size();
        int symbols = plan.symbolCount(size);
        var data = new InetSocketAddress(plan.dataGroup(), plan.dataPort());
        var control = new InetSocketAddress(plan.controlGroup(), plan.controlPort());
        var announce = new AnnounceFrame(plan.transmissionId(), plan.rootDigest(), plan.dataGroup(), plan.dataPort(),
                size, plan.symbolSize());
        long deadline = System.nanoTime() + plan.maxDuration().toNanos();
        double nanosPerByte = 8e9 / plan.rateBitsPerSecond();
        long next = System.nanoTime();
        long packets = 0;
        long bytes = 0;
        int cycle = 0;
        boolean stopped = false;
        log.info("event=transmission_started tx={} root={} symbols={} rate_bps={}", plan.transmissionId(),
                plan.rootDigest().shortHex(), symbols, plan.rateBitsPerSecond());
        outer:
        while (cycle < plan.maxCycles()) {
            if (!keepGoing.getAsBoolean()) {
                stopped = true;
                break;
            }
            for (int i = 0; i < symbols; i++) {
                if (i % ANNOUNCE_EVERY == 0) {
                    bytes += send(announce, control);
                    packets++;
                }
                long offset = (long) i * plan.symbolSize();
                int len = (int) Math.min(plan.symbolSize(), size - offset);
                if (len <= 0) {
                    break;
                }
                byte[] payload = new byte[len];
                image.read(offset, payload, len);
                int wire = send(new DataFrame(plan.transmissionId(), i, symbols, payload), data);
                bytes += wire;
                packets++;
                next += (long) (wire * nanosPerByte);
                if (!pace(next, deadline)) {
                    break outer;
                }
                if ((i & 255) == 255 && !keepGoing.getAsBoolean()) {
                    stopped = true;
                    break outer;
                }
            }
            cycle++;
        }
        channel.flush();
        log.info("event=transmission_ended tx={} cycles={} packets={} bytes={} stopped_by_caller={}",
                plan.transmissionId(), cycle, packets, bytes, stopped);
        return new Result(cycle, packets, bytes, stopped);
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
        channel.writeAndFlush(new DefaultAddressedEnvelope<>(frame, to));
        int wire = FrameEncoder.encodedSize(frame) + 28;
        sentBytes.addAndGet(wire);
        return wire;
    }

    /** Waits until {@code next}; false when the overall deadline has passed. */
    private static boolean pace(long next, long deadline) throws InterruptedException {
        long now;
        while ((now = System.nanoTime()) < next) {
            LockSupport.parkNanos(Math.min(next - now, 1_000_000));
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        return now < deadline;
    }

    /** Bytes a symbol takes on the wire including IPv4 and UDP headers. */
    public static int wireBytesPerSymbol(int symbolSize) {
        return WireFormat.DATA_HEADER + symbolSize + 28;
    }
}
