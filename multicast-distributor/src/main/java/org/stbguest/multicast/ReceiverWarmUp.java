package org.stbguest.multicast;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.stbguest.device.api.TransmissionInfo;
import org.stbguest.image.ImageChunker;
import org.stbguest.image.Manifest;

/**
 * Runs synthetic transmissions over the loopback interface through the real receive path (native or NIO datagram
 * reads, frame decoder, block decoders with loss and repair rows, feedback, chunk verification), so that a freshly
 * started JVM has compiled that path before the first real datagram arrives. A set-top agent is a long-lived process
 * whose receive path is warm after its first transfer; the lab tool calls this before it says READY, so a benchmark
 * measures that steady state and not sixteen JVMs compiling at once. Loopback only, TTL 1, bounded in time.
 */
public final class ReceiverWarmUp {

    private static final int PORT = 47_770;

    private ReceiverWarmUp() {
    }

    /**
     * Receives {@code rounds} synthetic images of a block and a half shaped like {@code shape} (symbol and block size)
     * over loopback, dropping {@code loss} of the data datagrams so that repair rows are decoded too: in pairs of
     * rounds, that share and a fifth of it in turn, since a lighter loss brings wider repair rows (about eight of a
     * box's missing sources per row), whose loops the JIT would otherwise compile afresh during the first such
     * transfer.
     *
     * @return symbols the receivers took in
     */
    public static long run(TransmissionInfo shape, double loss, int rounds, Executor workers)
            throws IOException, InterruptedException, ExecutionException, TimeoutException {
        EventLoopGroup receiving = MulticastChannels.newEventLoopGroup(1);
        EventLoopGroup sending = MulticastChannels.newEventLoopGroup(1);
        try {
            return run(shape, loss, rounds, workers, receiving, sending);
        } finally {
            receiving.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            sending.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * As {@link #run(TransmissionInfo, double, int, Executor)}, on the caller's event loops, which the real transfer
     * then uses too. A process should warm up on the threads it will transfer on: Netty keeps per-thread state (the
     * thread-local map, buffer caches, recyclers), and the code compiled for warm threads is thrown away when a fresh
     * event loop thread takes those paths for the first time. Measured on a lab receiver: the JIT spent 0.37-0.39 s
     * during the real transfer when it ran on a new event loop, 0.04-0.23 s on the warm one.
     */
    public static long run(TransmissionInfo shape, double loss, int rounds, Executor workers, EventLoopGroup receiving,
            EventLoopGroup sending) throws IOException, InterruptedException, ExecutionException, TimeoutException {
        int k = shape.blockSymbols();
        // a block and a half, with a short last symbol: the sender moves on to a second block and repairs the first
        // while it sends the second, as in a real image of many blocks
        byte[] image = new byte[(k + k / 2) * shape.symbolSize() - shape.symbolSize() / 2];
        new SplittableRandom(1).nextBytes(image);
        // the sender reads it from a file, as a headend does (a second ImageSource class first seen in the real
        // transfer would throw away the compiled send path)
        Path file = Files.createTempFile("stbguest-warm-up", ".img");
        Manifest manifest = ImageChunker.chunk(new ByteArrayInputStream(image), new ImageChunker.ImageInfo("warm-up", 1,
                0, Set.of("warm-up"), ImageChunker.DEFAULT_CHUNK_SIZE), Long.MAX_VALUE, (i, d, b, l) -> { });
        Inet4Address group = (Inet4Address) InetAddress.getByName("239.255.77.77");
        long symbols = 0;
        try (ImageSource source = ImageSource.of(Files.write(file, image))) {
            for (int round = 0; round < rounds; round++) {
                var aggregator = new FeedbackAggregator(round + 1);
                DatagramChannel out = MulticastChannels.openSender(sending, MulticastSettings.LOOPBACK, aggregator);
                var info = new TransmissionInfo(round + 1, group.getHostAddress(), PORT, shape.symbolSize(), k);
                var feedback = new TransmissionReceiver.Feedback((InetSocketAddress) out.localAddress(),
                        Duration.ofMillis(20));
                var receiver = TransmissionReceiver.start(receiving, MulticastSettings.LOOPBACK, info, manifest,
                        new BitSet(), (c, data) -> { }, workers,
                        round < rounds - 1 ? new LossInjector(round / 2 % 2 == 0 ? loss : loss / 5, round) : null,
                        feedback); // the last round without the loss filter: the pipeline a real transfer has
                try {
                    // paced as usual, and every other round as fast as it goes (the peak rate's branches compiled too)
                    var plan = new TransmissionPlan(round + 1, manifest.rootDigest(), group, PORT, group, PORT + 1,
                            shape.symbolSize(), k, 0, round % 2 == 0 ? 500_000_000L : 4_000_000_000L, 20,
                            Duration.ofSeconds(30)).withFeedback(Duration.ofMillis(60));
                    // the overload a lab sender uses too: the same "keep going" in the profile of the send loop
                    new TransmissionSender(out).transmit(plan, source, null, aggregator);
                    try {
                        receiver.completion().get(30, TimeUnit.SECONDS);
                    } catch (TimeoutException e) {
                        throw new TimeoutException("warm-up round " + round + " did not finish: "
                                + receiver.status().get(5, TimeUnit.SECONDS));
                    }
                    symbols += receiver.symbolsReceived();
                } finally {
                    receiver.close();
                    out.close().sync();
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return symbols;
    }
}
