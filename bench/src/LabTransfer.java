// The multicast lab tool: makes a manifest, sends or receives one image, as its own process in a network namespace.
// Run by bench/multicast (compiled once per run against the multicast library) and by the namespace test.
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
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
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.stbguest.device.api.TransmissionInfo;
import org.stbguest.image.ImageChunker;
import org.stbguest.image.Manifest;
import org.stbguest.image.ManifestCodec;
import org.stbguest.multicast.FeedbackAggregator;
import org.stbguest.multicast.ImageSource;
import org.stbguest.multicast.LossInjector;
import org.stbguest.multicast.MulticastChannels;
import org.stbguest.multicast.MulticastSettings;
import org.stbguest.multicast.TransmissionPlan;
import org.stbguest.multicast.TransmissionReceiver;
import org.stbguest.multicast.TransmissionSender;

/**
 * A lab tool for moving one file with the FEC protocol between network namespaces: used by {@code bench/multicast}
 * and by the namespace tests, each peer in its own process ({@code ip netns exec}):
 *   manifest FILE OUT              chunk FILE and write its manifest (the boxes' trusted copy)
 *   receive MANIFEST IFACE GROUP PORT SENDER_IP FEEDBACK_PORT OUT    join, report deficits, write OUT when whole
 *   send FILE MANIFEST IFACE GROUP PORT FEEDBACK_PORT RATE_BPS       feedback mode; exits after 3 quiet windows
 *   blast IFACE GROUP PORT SECONDS [MIB]  raw ceiling: 1472-byte datagrams (a full 1500-byte MTU) as fast as the JDK
 *                                         sends them, for SECONDS or, warm, MIB mebibytes; prints the rate it sent at
 *   count IFACE GROUP PORT SECONDS [sleep]  counts what arrives from the first datagram until SECONDS have passed
 *                                         or none has come for 0.5 s; prints MiB/s, first to last datagram. It polls
 *                                         in a busy loop, or with "sleep" waits in epoll when drained, as receivers do
 * Multicast goes only to the named interface, TTL 1. The code's shape comes from system properties, the same on
 * every peer: {@code lab.symbolSize} (default 1456), {@code lab.blockSymbols} (default 16384: the large-block code)
 * and, for the sender, {@code lab.repairRatio} (default 0: feedback alone decides the repair). A receiver first
 * runs {@link ReceiverWarmUp} (a set-top agent is a long-lived, warm process); {@code -Dlab.warmUp=false} measures
 * a cold JVM. With {@code -Dlab.goFile=PATH} the sender, too, warms up (the same loopback transfers), says READY and
 * starts when that file appears: the headend is a running service, not a process started per transfer.
 */
public final class LabTransfer {

    private static final int SYMBOL_SIZE = Integer.getInteger("lab.symbolSize", 1456);
    private static final int BLOCK_SYMBOLS = Integer.getInteger("lab.blockSymbols", 16384);
    /** Receivers run synthetic transfers over loopback before READY, as a long-running agent would be warm (true). */
    private static final boolean WARM_UP = Boolean.parseBoolean(System.getProperty("lab.warmUp", "true"));
    /** Synthetic transfers in the warm-up: enough for the JIT's last tier to compile the whole path (8). */
    private static final int WARM_UP_ROUNDS = Integer.getInteger("lab.warmUpRounds", 8);
    /** Further pairs of warm-up rounds, while a pair still costs the JIT over 40 ms (at most 6). */
    private static final int WARM_UP_MORE_PAIRS = Integer.getInteger("lab.warmUpMorePairs", 6);
    private static final double REPAIR_RATIO = Double.parseDouble(System.getProperty("lab.repairRatio", "0"));

    private LabTransfer() {
    }

    public static void main(String[] a) throws Exception {
        switch (a[0]) {
            case "manifest" -> {
                Manifest m;
                try (InputStream in = Files.newInputStream(Path.of(a[1]))) {
                    m = ImageChunker.chunk(in, new ImageChunker.ImageInfo("bench", 1, 0, Set.of("stb-x1"),
                            ImageChunker.DEFAULT_CHUNK_SIZE), Long.MAX_VALUE, (i, d, b, l) -> { });
                }
                Files.write(Path.of(a[2]), ManifestCodec.encode(m));
            }
            case "receive" -> receive(a);
            case "blast" -> blast(a);
            case "count" -> count(a);
            case "send" -> send(a);
            default -> throw new IllegalArgumentException(a[0]);
        }
    }

    static void receive(String[] a) throws Exception {
        Manifest m = ManifestCodec.decode(Files.readAllBytes(Path.of(a[1])));
        var settings = MulticastSettings.onInterface(a[2]);
        EventLoopGroup loops = MulticastChannels.newEventLoopGroup(1);
        var workers = Executors.newSingleThreadExecutor();
        try (RandomAccessFile out = new RandomAccessFile(a[7], "rw")) {
            out.setLength(m.size());
            var info = new TransmissionInfo(1, a[3], Integer.parseInt(a[4]), SYMBOL_SIZE, BLOCK_SYMBOLS);
            if (WARM_UP) {
                long t0 = System.nanoTime();
                warmUp(info, workers, loops, null); // on the event loop the transfer uses
                settle();
                System.out.printf("WARMED_UP ms=%d%n", (System.nanoTime() - t0) / 1_000_000);
            }
            var feedback = new TransmissionReceiver.Feedback(new InetSocketAddress(a[5], Integer.parseInt(a[6])),
                    Duration.ofMillis(50));
            var r = TransmissionReceiver.start(loops, settings, info, m, new BitSet(), (c, data) -> {
                synchronized (out) {
                    out.seek((long) c * m.chunkSize());
                    out.write(data);
                }
            }, workers, null, feedback);
            long cpuAtReady = cpuNanos();
            long jitAtReady = jitMillis();
            System.out.println("READY transport=" + MulticastChannels.transport());
            System.out.flush();
            // wait; every 10 s without completion, say where the receiver stands
            while (true) {
                try {
                    r.completion().get(10, TimeUnit.SECONDS);
                    break;
                } catch (java.util.concurrent.TimeoutException e) {
                    System.out.println("WAITING " + r.status().get(5, TimeUnit.SECONDS));
                }
            }
            r.finalReportsSent().get(10, TimeUnit.SECONDS); // the sender learns we are complete before we close
            r.close();
            System.out.println("DONE " + r.symbolsReceived());
            System.out.printf("TRANSFER_CPU_S=%.2f%n", (cpuNanos() - cpuAtReady) / 1e9);
            System.out.printf("TRANSFER_JIT_MS=%d%n", jitMillis() - jitAtReady);
            System.out.printf("VERIFY_CPU_S=%.3f%n", r.verificationCpuNanos() / 1e9);
        } finally {
            workers.shutdownNow();
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Best effort: a warm-up that fails (a machine too busy to finish it in time) only leaves the JVM colder. */
    private static void warmUp(TransmissionInfo shape, java.util.concurrent.ExecutorService workers,
            EventLoopGroup receiving, EventLoopGroup sending) {
        // the side this process does not take in the real transfer gets an event loop of its own, for the warm-up only
        EventLoopGroup other = MulticastChannels.newEventLoopGroup(1);
        EventLoopGroup rx = receiving != null ? receiving : other;
        EventLoopGroup tx = sending != null ? sending : other;
        try {
            ReceiverWarmUp.run(shape, 0.05, WARM_UP_ROUNDS, workers, rx, tx);
            // and two more once the compile queue has drained: while it is long, the JIT raises the call counts a
            // method needs for its last tier, so the busiest methods of the rounds above (the read loop that takes
            // 32 datagrams per call) were still short of it and got compiled during the measured transfer instead
            settle();
            ReceiverWarmUp.run(shape, 0.05, 2, workers, rx, tx);
            // and pairs more while the JIT still finds work in them (at most WARM_UP_MORE_PAIRS): the methods called
            // once per read of a batch (Netty's epollInReady, read, write) are a thirtieth as hot as the per-datagram
            // ones and reached their last tier only in the measured transfer, where sixteen boxes' C2 threads took an
            // eighth of the two cores
            settle();
            int pairs = 0;
            for (long jit = Long.MAX_VALUE; pairs < WARM_UP_MORE_PAIRS && jit > 40; pairs++) {
                long before = jitMillis();
                ReceiverWarmUp.run(shape, 0.05, 2, workers, rx, tx);
                settle();
                jit = jitMillis() - before;
            }
            System.out.println("WARM_UP_MORE_PAIRS=" + pairs);
        } catch (Exception e) {
            System.out.println("WARM_UP_INCOMPLETE " + e);
        } finally {
            other.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * Waits (at most 20 s) until the process is idle: the JIT compiles what the warm-up made hot on its own threads,
     * for seconds after the warm-up returns, and that work belongs before READY, not in the measured transfer.
     */
    private static void settle() throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        long before = cpuNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(250);
            long now = cpuNanos();
            if (now - before < 25_000_000) { // under a tenth of a core over the last quarter second
                return;
            }
            before = now;
        }
    }

    /** Time the JIT compilers have spent so far (0 where the JVM does not say). */
    private static long jitMillis() {
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /** CPU time of this process so far (all threads, user and system). */
    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    static void blast(String[] a) throws Exception {
        var ni = java.net.NetworkInterface.getByName(a[1]);
        try (var ch = java.nio.channels.DatagramChannel.open(java.net.StandardProtocolFamily.INET)) {
            ch.setOption(java.net.StandardSocketOptions.IP_MULTICAST_IF, ni);
            ch.setOption(java.net.StandardSocketOptions.IP_MULTICAST_TTL, 1);
            var to = new InetSocketAddress(a[2], Integer.parseInt(a[3]));
            var buf = java.nio.ByteBuffer.allocateDirect(1472);
            long limit = 50_000_000L;
            if (a.length > 5) { // a fixed amount of work, timed at this end, after a warm-up the counter does not see
                var aside = new InetSocketAddress(a[2], Integer.parseInt(a[3]) + 1);
                for (int i = 0; i < 50_000; i++) {
                    buf.clear();
                    ch.send(buf, aside);
                }
                limit = Long.parseLong(a[5]) * 1048576 / 1472;
            }
            long start = System.nanoTime();
            long end = start + (long) (Double.parseDouble(a[4]) * 1e9);
            long sent = 0;
            while (sent < limit && System.nanoTime() < end) {
                buf.clear();
                ch.send(buf, to);
                sent++;
            }
            long took = System.nanoTime() - start;
            System.out.println("BLASTED " + sent);
            System.out.printf("BLAST_MIB_S=%.1f%n", sent * 1472 / 1048576.0 / (took / 1e9));
        }
    }

    static void count(String[] a) throws Exception {
        var ni = java.net.NetworkInterface.getByName(a[1]);
        var group = InetAddress.getByName(a[2]);
        try (var ch = java.nio.channels.DatagramChannel.open(java.net.StandardProtocolFamily.INET)) {
            ch.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
            ch.bind(new InetSocketAddress(group, Integer.parseInt(a[3])));
            ch.join(group, ni);
            System.out.println("READY");
            System.out.flush();
            var buf = java.nio.ByteBuffer.allocateDirect(2048);
            ch.receive(buf);
            long bytes = buf.position();
            long start = System.nanoTime();
            long last = start;
            long end = start + (long) (Double.parseDouble(a[4]) * 1e9);
            ch.configureBlocking(false);
            // until SECONDS have passed or nothing has come for half a second: the rate is over first to last
            if (a.length > 5 && a[5].equals("sleep")) { // waits in epoll when drained, as a real receiver does
                try (var selector = java.nio.channels.Selector.open()) {
                    ch.register(selector, java.nio.channels.SelectionKey.OP_READ);
                    while (System.nanoTime() < end && selector.select(500) > 0) {
                        selector.selectedKeys().clear();
                        buf.clear();
                        while (ch.receive(buf) != null) {
                            bytes += buf.position();
                            buf.clear();
                        }
                        last = System.nanoTime();
                    }
                }
            } else {
                for (long now = start; now < end && now - last < 500_000_000L; now = System.nanoTime()) {
                    buf.clear();
                    if (ch.receive(buf) != null) {
                        bytes += buf.position();
                        last = now;
                    }
                }
            }
            System.out.printf("CEILING_MIB_S=%.1f%n", bytes / 1048576.0 / (Math.max(last - start, 1) / 1e9));
        }
    }

    static void send(String[] a) throws Exception {
        Manifest m = ManifestCodec.decode(Files.readAllBytes(Path.of(a[2])));
        var settings = MulticastSettings.onInterface(a[3]);
        EventLoopGroup loop = MulticastChannels.newEventLoopGroup(1);
        var aggregator = new FeedbackAggregator(1);
        DatagramChannel ch = MulticastChannels.openSender(loop, settings, aggregator, Integer.parseInt(a[6]));
        Inet4Address group = (Inet4Address) InetAddress.getByName(a[4]);
        var plan = new TransmissionPlan(1, m.rootDigest(), group, Integer.parseInt(a[5]), group, Integer.parseInt(a[5]) + 1,
                SYMBOL_SIZE, BLOCK_SYMBOLS, REPAIR_RATIO, Long.parseLong(a[7]), 100, Duration.ofMinutes(10))
                .withFeedback(Duration.ofMillis(150));
        try (var image = ImageSource.of(Path.of(a[1]))) {
            String go = System.getProperty("lab.goFile");
            if (go != null) { // a running headend service: warm, then wait for the word
                if (WARM_UP) {
                    var workers = Executors.newSingleThreadExecutor();
                    try {
                        // sending on the event loop the transfer uses
                        warmUp(new TransmissionInfo(1, a[4], 1, SYMBOL_SIZE, BLOCK_SYMBOLS), workers, null, loop);
                    } finally {
                        workers.shutdownNow();
                    }
                    settle();
                }
                System.out.println("READY");
                System.out.flush();
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
                while (!Files.exists(Path.of(go)) && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
            }
            long cpuAtStart = cpuNanos();
            long jitAtStart = jitMillis();
            var result = new TransmissionSender(ch).transmit(plan, image, null, aggregator);
            System.out.printf("TRANSFER_CPU_S=%.2f%n", (cpuNanos() - cpuAtStart) / 1e9);
            System.out.printf("TRANSFER_JIT_MS=%d%n", jitMillis() - jitAtStart);
            System.out.println("SENT " + result.bytesSent() + " packets=" + result.packets() + " receivers="
                    + aggregator.receivers() + " complete=" + aggregator.completeReceivers());
        } finally {
            ch.close().sync();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}

/**
 * Runs synthetic transmissions over the loopback interface through the real receive path (native or NIO datagram
 * reads, frame decoder, block decoders with loss and repair rows, feedback, chunk verification), so that a freshly
 * started JVM has compiled that path before the first real datagram arrives. A set-top agent is a long-lived process
 * whose receive path is warm after its first transfer; the lab tool calls this before it says READY, so a benchmark
 * measures that steady state and not sixteen JVMs compiling at once. Loopback only, TTL 1, bounded in time.
 */
final class ReceiverWarmUp {

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
