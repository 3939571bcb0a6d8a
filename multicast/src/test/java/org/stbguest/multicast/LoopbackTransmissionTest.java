package org.stbguest.multicast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stbguest.multicast.TestImages.CHUNK;
import static org.stbguest.multicast.TestImages.address;
import static org.stbguest.multicast.TestImages.join;
import static org.stbguest.multicast.TestImages.manifestOf;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import java.net.Inet4Address;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.stbguest.device.api.TransmissionInfo;
import org.stbguest.image.Digest;
import org.stbguest.image.Manifest;
import org.stbguest.image.SoftwareSigner;
import org.stbguest.image.trust.BoxTrust;
import org.stbguest.image.trust.KeySet;
import org.stbguest.image.trust.RoleKeys;
import org.stbguest.image.trust.SignedKeySet;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.Statement;
import org.stbguest.multicast.wire.AnnounceFrame;

/** Real UDP multicast on the loopback interface, TTL 1, with loss injected independently at each receiver. */
class LoopbackTransmissionTest {

    private final EventLoopGroup loops = MulticastChannels.newEventLoopGroup(2);
    private final EventLoopGroup senderLoop = MulticastChannels.newEventLoopGroup(1);
    private final ExecutorService workers = Executors.newFixedThreadPool(2);
    private final int port = 41_000 + new Random().nextInt(900);
    private final Inet4Address dataGroup = address("239.255.77.2");
    private final Inet4Address controlGroup = address("239.255.77.1");

    @AfterEach
    void tearDown() throws Exception {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        senderLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        workers.shutdownNow();
    }

    private TransmissionPlan plan(Manifest m, double repair) {
        return plan(m, repair, 64);
    }

    private TransmissionPlan plan(Manifest m, double repair, int blockSymbols) {
        return new TransmissionPlan(42, m.rootDigest(), dataGroup, port, controlGroup, port + 1, 1400, blockSymbols,
                repair, 200_000_000L, 50, Duration.ofSeconds(30));
    }

    @Test
    void receiversUnderIndependentLossCompleteWithTheRightDigest() throws Exception {
        byte[] image = new byte[CHUNK * 12 + 999];
        new Random(3).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(42, dataGroup.getHostAddress(), port, 1400, 64);
        List<ConcurrentHashMap<Integer, byte[]>> received = new ArrayList<>();
        List<TransmissionReceiver> receivers = new ArrayList<>();
        List<LossInjector> losses = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            var chunks = new ConcurrentHashMap<Integer, byte[]>();
            received.add(chunks);
            var loss = new LossInjector(0.05, r);
            losses.add(loss);
            receivers.add(TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                    chunks::put, workers, loss));
        }
        DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK);
        TransmissionSender.Result result;
        try {
            result = new TransmissionSender(ch).transmit(plan(manifest, 0.08), ImageSource.of(image), null,
                    () -> !receivers.stream().allMatch(r -> r.completion().isDone()));
        } finally {
            ch.close().sync();
        }
        for (var r : receivers) {
            r.completion().get(5, TimeUnit.SECONDS);
            r.close();
        }
        assertThat(result.stoppedByCaller()).isTrue();
        assertThat(losses).allSatisfy(l -> assertThat(l.dropped.get()).as("loss was injected").isPositive());
        for (var chunks : received) {
            assertThat(Digest.sha256(join(chunks, manifest))).isEqualTo(Digest.sha256(image));
        }
    }

    @Test
    void aBoxThatWritesSlowlyDropsWhatItCannotHoldAndStillCompletesInBoundedMemory() throws Exception {
        byte[] image = new byte[CHUNK * 48];
        new Random(11).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(42, dataGroup.getHostAddress(), port, 1400, 64);
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        var receiver = TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                (c, data) -> {
                    // a slow flash: each chunk takes 20 ms to write, far slower than the sender sends
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
                    chunks.put(c, data);
                }, workers);
        receiver.limitDecodeBytes(3L * 64 * 1400); // three blocks at most, decoding or waiting to be written
        DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK);
        try {
            new TransmissionSender(ch).transmit(plan(manifest, 0.05), ImageSource.of(image), null,
                    () -> !receiver.completion().isDone());
        } finally {
            ch.close().sync();
        }
        try {
            receiver.completion().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("not complete: " + receiver.status().get(5, TimeUnit.SECONDS) + " dropped="
                    + receiver.symbolsDroppedForMemory() + " chunks=" + chunks.size(), e);
        }
        receiver.close();
        assertThat(receiver.symbolsDroppedForMemory()).as("symbols dropped while the box was behind").isPositive();
        assertThat(receiver.peakLiveDecoders()).as("blocks held at once").isLessThanOrEqualTo(3);
        assertThat(Digest.sha256(join(chunks, manifest))).isEqualTo(Digest.sha256(image));
    }

    @Test
    void aResumedReceiverDecodesOnlyTheBlocksItsMissingChunksNeed() throws Exception {
        byte[] image = new byte[CHUNK * 48];
        new Random(12).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(42, dataGroup.getHostAddress(), port, 1400, 64);
        BitSet held = new BitSet();
        held.set(0, 44); // an interrupted staging kept the first 44 chunks
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        var receiver = TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, held,
                chunks::put, workers);
        DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK);
        try {
            new TransmissionSender(ch).transmit(plan(manifest, 0.05), ImageSource.of(image), null,
                    () -> !receiver.completion().isDone());
        } finally {
            ch.close().sync();
        }
        receiver.completion().get(30, TimeUnit.SECONDS);
        receiver.close();
        assertThat(chunks.keySet()).as("only the missing chunks are written").containsExactlyInAnyOrder(44, 45, 46, 47);
        // chunks 44..47 span bytes 44*64 KiB to the end: the blocks of 89,600 bytes over them, and no others
        long blockBytes = 64L * 1400;
        int needed = (int) ((image.length - 1) / blockBytes - (44L * CHUNK) / blockBytes + 1);
        assertThat(receiver.peakLiveDecoders()).as("blocks decoded at once").isLessThanOrEqualTo(needed);
        for (int c = 44; c < 48; c++) {
            assertThat(chunks.get(c)).isEqualTo(java.util.Arrays.copyOfRange(image, c * CHUNK, (c + 1) * CHUNK));
        }
    }

    /** Reed-Solomon blocks of 64, and the large-block code with blocks of 512 (the image has 1,498 symbols). */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {64, 512})
    void feedbackModeHealsEveryReceiverWithTheLargestDeficitPerBlock(int blockSymbols) throws Exception {
        byte[] image = new byte[CHUNK * 32];
        new Random(5).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(42, dataGroup.getHostAddress(), port, 1400, blockSymbols);
        var aggregator = new FeedbackAggregator(42);
        DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK, aggregator);
        var feedback = new TransmissionReceiver.Feedback((java.net.InetSocketAddress) ch.localAddress(), Duration.ofMillis(40));
        List<ConcurrentHashMap<Integer, byte[]>> received = new ArrayList<>();
        List<TransmissionReceiver> receivers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            var chunks = new ConcurrentHashMap<Integer, byte[]>();
            received.add(chunks);
            receivers.add(TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                    chunks::put, workers, new LossInjector(0.05, 100 + r), feedback));
        }
        TransmissionSender.Result result;
        try {
            result = new TransmissionSender(ch).transmit(
                    plan(manifest, blockSymbols > 128 ? 0 : 0.02, blockSymbols).withFeedback(Duration.ofMillis(150)),
                    ImageSource.of(image), null, () -> true, aggregator);
        } finally {
            ch.close().sync();
        }
        for (var r : receivers) {
            r.completion().get(5, TimeUnit.SECONDS);
            r.close();
        }
        for (var chunks : received) {
            assertThat(Digest.sha256(join(chunks, manifest))).isEqualTo(Digest.sha256(image));
        }
        double sentPerImage = (double) result.bytesSent() / image.length;
        System.out.printf("feedback mode, k=%d: 3 receivers, 5%% loss: sent %.3f x the image, %d reports%n",
                blockSymbols, sentPerImage, aggregator.reports());
        assertThat(aggregator.receivers()).isEqualTo(3);
        assertThat(aggregator.completeReceivers()).as("every receiver said it is complete").isEqualTo(3);
        assertThat(sentPerImage).as("repair is the worst receiver's share, not a second copy").isLessThan(1.3);
    }

    /**
     * Blocks are repaired while the first pass is still sending later blocks, so a receiver verifies and stores the
     * start of the image long before the pass ends (not everything at the end).
     */
    @Test
    void feedbackRepairsEarlierBlocksDuringThePassSoChunksCompleteBeforeItEnds() throws Exception {
        byte[] image = new byte[CHUNK * 64];
        new Random(6).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(42, dataGroup.getHostAddress(), port, 1400, 512);
        var aggregator = new FeedbackAggregator(42);
        DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK, aggregator);
        var feedback = new TransmissionReceiver.Feedback((java.net.InetSocketAddress) ch.localAddress(), Duration.ofMillis(20));
        var sent = new java.util.concurrent.atomic.AtomicLong();
        var sentWhenFirstChunkStored = new java.util.concurrent.atomic.AtomicLong(-1);
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        var receiver = TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                (c, data) -> {
                    if (c == 0) {
                        sentWhenFirstChunkStored.set(sent.get());
                    }
                    chunks.put(c, data);
                }, workers, new LossInjector(0.05, 7), feedback);
        TransmissionSender.Result result;
        try {
            // a pass of about 3 s: longer than the 2 s a chunk's verification may wait for a backlogged socket (in a
            // cold JVM with paranoid leak detection the receiving thread is backlogged at a faster pace, and at
            // 40 Mbit/s, a 1 s pass, this test failed when run on its own)
            var plan = new TransmissionPlan(42, manifest.rootDigest(), dataGroup, port, controlGroup, port + 1, 1400, 512,
                    0, 12_000_000L, 50, Duration.ofSeconds(30)).withFeedback(Duration.ofMillis(100));
            result = new TransmissionSender(ch, sent).transmit(plan, ImageSource.of(image), null, () -> true, aggregator);
        } finally {
            ch.close().sync();
        }
        receiver.completion().get(5, TimeUnit.SECONDS);
        receiver.close();
        assertThat(Digest.sha256(join(chunks, manifest))).isEqualTo(Digest.sha256(image));
        assertThat(result.repairsDuringPass()).as("repair symbols sent between later blocks' symbols").isPositive();
        assertThat(sentWhenFirstChunkStored.get()).as("chunk 0 was stored before the pass had sent the whole image")
                .isBetween(0L, (long) image.length);
    }

    /**
     * The last repair symbol of a round is lost and nothing is sent after it: the receiver must still get it again.
     * (Symbols sent after the newest one a receiver had taken in count as on their way to it only while symbols are
     * still arriving; a quiet receiver's deficit counts whole.) Here the box loses sources 0 and 1 and every other
     * repair symbol, the last of each round among them.
     */
    @Test
    void aLostLastRepairSymbolIsSentAgain() throws Exception {
        int symbolSize = 1400;
        int k = 400;
        byte[] image = new byte[k * symbolSize];
        new Random(10).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(42, dataGroup.getHostAddress(), port, symbolSize, 512);
        var aggregator = new FeedbackAggregator(42);
        DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK, aggregator);
        var feedback = new TransmissionReceiver.Feedback((java.net.InetSocketAddress) ch.localAddress(), Duration.ofMillis(20));
        var dropped = new java.util.concurrent.atomic.AtomicInteger();
        var filter = dropping((block, id) -> id < 2 || id >= k && (id - k) % 2 == 1, dropped);
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        var receiver = TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                chunks::put, workers, filter, feedback);
        try {
            var plan = new TransmissionPlan(42, manifest.rootDigest(), dataGroup, port, controlGroup, port + 1, symbolSize,
                    512, 0, 100_000_000L, 50, Duration.ofSeconds(30)).withFeedback(Duration.ofMillis(100));
            new TransmissionSender(ch).transmit(plan, ImageSource.of(image), null, () -> true, aggregator);
        } finally {
            ch.close().sync();
        }
        receiver.completion().get(5, TimeUnit.SECONDS);
        receiver.close();
        assertThat(dropped.get()).as("sources 0, 1 and the odd repair ids").isGreaterThanOrEqualTo(3);
        assertThat(Digest.sha256(join(chunks, manifest))).isEqualTo(Digest.sha256(image));
    }

    /**
     * A box whose socket overran at the end of the pass: it lost half of the second-last block's sources and every
     * symbol of the last block, so it has never seen the last block and the second-last is its newest. Nothing comes
     * in for a long while after the pass; it then reports both, and the sender, still waiting for its reports,
     * repairs them. Without the long-quiet rule it would never report them and would wait for unicast repair.
     */
    @Test
    void aReceiverThatLostTheWholeTailOfThePassAsksForItOnceQuiet() throws Exception {
        int symbolSize = 1400;
        int blockSymbols = 512;
        byte[] image = new byte[3 * blockSymbols * symbolSize - 999];
        new Random(12).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(43, dataGroup.getHostAddress(), port, symbolSize, blockSymbols);
        var aggregator = new FeedbackAggregator(43);
        DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK, aggregator);
        var feedback = new TransmissionReceiver.Feedback((java.net.InetSocketAddress) ch.localAddress(), Duration.ofMillis(20));
        var firstTime = new BitSet();
        var dropped = new java.util.concurrent.atomic.AtomicInteger();
        var filter = dropping((block, id) -> {
            // the pass's symbols (each id's first arrival) of block 2, and of every other source of block 1
            int key = block * (1 << 20) + id;
            boolean first = !firstTime.get(key);
            firstTime.set(key);
            return first && (block == 2 || block == 1 && id < blockSymbols && id % 2 == 0);
        }, dropped);
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        var receiver = TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                chunks::put, workers, filter, feedback);
        try {
            var plan = new TransmissionPlan(43, manifest.rootDigest(), dataGroup, port, controlGroup, port + 1, symbolSize,
                    blockSymbols, 0, 100_000_000L, 50, Duration.ofSeconds(30)).withFeedback(Duration.ofMillis(100));
            new TransmissionSender(ch).transmit(plan, ImageSource.of(image), null, aggregator);
        } finally {
            ch.close().sync();
        }
        receiver.completion().get(5, TimeUnit.SECONDS);
        receiver.close();
        assertThat(dropped.get()).as("all of block 2's pass, half of block 1's sources").isGreaterThan(blockSymbols);
        assertThat(Digest.sha256(join(chunks, manifest))).isEqualTo(Digest.sha256(image));
    }

    /**
     * Flow control: a box that consumes slowly (each datagram costs it 100 us: 10,000 a second, about 115 Mbit/s)
     * says it is behind, with its position, and a pass at 300 Mbit/s (6,144 datagrams, about 0.23 s: many report
     * intervals) waits for it rather than overrun its socket: the sender holds, and nothing is lost to an overflow,
     * so the repairs stay few.
     */
    @Test
    void theSenderHoldsForABoxThatSaysItIsBehind() throws Exception {
        int symbolSize = 1400;
        int k = 512;
        byte[] image = new byte[12 * k * symbolSize - 777];
        new Random(14).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(45, dataGroup.getHostAddress(), port, symbolSize, k);
        var aggregator = new FeedbackAggregator(45);
        DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK, aggregator);
        var feedback = new TransmissionReceiver.Feedback((java.net.InetSocketAddress) ch.localAddress(), Duration.ofMillis(5));
        var slow = new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                long until = System.nanoTime() + 100_000; // a box short of CPU: work per datagram, not a sleep
                while (System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
                ctx.fireChannelRead(msg);
            }
        };
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        var receiver = TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                chunks::put, workers, slow, feedback);
        TransmissionSender.Result result;
        try {
            var plan = new TransmissionPlan(45, manifest.rootDigest(), dataGroup, port, controlGroup, port + 1,
                    symbolSize, k, 0, 300_000_000L, 50, Duration.ofSeconds(30)).withFeedback(Duration.ofMillis(60));
            result = new TransmissionSender(ch).withFlowWindow(64).transmit(plan, ImageSource.of(image), null, aggregator);
        } finally {
            ch.close().sync();
        }
        receiver.completion().get(10, TimeUnit.SECONDS);
        receiver.close();
        assertThat(Digest.sha256(join(chunks, manifest))).isEqualTo(Digest.sha256(image));
        assertThat(result.flowHolds()).as("the pass waited for the slow box").isPositive();
        assertThat((double) result.bytesSent() / image.length).as("no overrun to repair").isLessThan(1.1);
    }

    /**
     * A box's event loop was busy past a report interval (a block's decode, or off the CPU) while the rest of a block
     * queued in its socket behind a read that had emptied it. Its next report must not take what queued as lost: the
     * report waits for the loop's next poll of the socket. Without that it would say, without a position, that block
     * 0 still lacks 100 symbols, and the sender would send them again.
     */
    @Test
    void aReportAfterABusySpellCountsWhatQueuedMeanwhile() throws Exception {
        int symbolSize = 1400;
        int k = 512;
        byte[] image = new byte[3 * k * symbolSize];
        new Random(13).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(44, dataGroup.getHostAddress(), port, symbolSize, k);
        var reports = new CopyOnWriteArrayList<org.stbguest.multicast.wire.FeedbackFrame>();
        DatagramChannel ch = senderCollecting(reports::add);
        // a second socket on the group: once it has a datagram, the kernel has queued it for the receiver too
        EventLoopGroup witnessLoop = MulticastChannels.newEventLoopGroup(1);
        var witnessed = new java.util.concurrent.atomic.AtomicInteger();
        DatagramChannel witness = MulticastChannels.openReceiver(witnessLoop, MulticastSettings.LOOPBACK, dataGroup,
                port, new org.stbguest.multicast.wire.FrameDecoder(),
                new io.netty.channel.SimpleChannelInboundHandler<org.stbguest.multicast.wire.Frame>() {
                    @Override
                    protected void channelRead0(io.netty.channel.ChannelHandlerContext ctx,
                                                org.stbguest.multicast.wire.Frame f) {
                        witnessed.incrementAndGet();
                    }
                });
        Duration interval = Duration.ofMillis(20);
        var sender = (java.net.InetSocketAddress) ch.localAddress();
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        var receiver = TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                chunks::put, workers, null, new TransmissionReceiver.Feedback(sender, interval));
        try {
            // block 0 without its last 100 sources, then block 1's first: block 0 is behind the newest block seen
            for (int id = 0; id < k - 100; id++) {
                sendSource(ch, 44, image, symbolSize, k, 0, id);
            }
            sendSource(ch, 44, image, symbolSize, k, 1, 0);
            awaitCondition(() -> reports.stream().anyMatch(r -> deficitOf(r, 0) == 100), "block 0 reported short 100");

            var spell = new java.util.concurrent.CompletableFuture<Void>();
            receiver.eventLoop().execute(() -> { // the loop is busy while the rest of block 0 queues in its socket
                try {
                    int before = witnessed.get();
                    for (int id = k - 100; id < k; id++) {
                        sendSource(ch, 44, image, symbolSize, k, 0, id);
                    }
                    long queued = System.nanoTime();
                    awaitCondition(() -> witnessed.get() >= before + 100, "the witness has the 100 sources");
                    awaitCondition(() -> System.nanoTime() - queued > 2 * interval.toNanos(), "two intervals");
                    reports.clear();
                    receiver.reportSafely(sender); // the report the busy spell had put off
                    spell.complete(null);
                } catch (Exception | AssertionError e) {
                    spell.completeExceptionally(e);
                }
            });
            spell.get(10, TimeUnit.SECONDS);
            // block 2's first symbol makes block 1 due for a report: once that arrives, so has any about block 0
            sendSource(ch, 44, image, symbolSize, k, 2, 0);
            awaitCondition(() -> reports.stream().anyMatch(r -> deficitOf(r, 1) > 0), "block 1 reported");
            assertThat(reports).as("no report takes the queued symbols as lost")
                    .noneMatch(r -> r.atBlock() < 0 && deficitOf(r, 0) > 0);
            awaitCondition(() -> chunks.keySet().containsAll(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)),
                    "block 0's chunks verified from the queued symbols");
        } finally {
            receiver.close();
            witness.close().sync();
            ch.close().sync();
            witnessLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * A box has a quarter or less of the last block and nothing more has come for an interval. The sender answers a
     * deficit that large with all the block's sources (as for a late joiner), but the box is more likely behind than
     * short (its symbols still in the kernel, upstream of an empty socket): its report carries its position, so the
     * sender counts what it sent after it as on its way. Only after a long quiet does it report without one.
     */
    @Test
    void aLastBlockMostlyMissingIsReportedWithThePositionUntilALongQuiet() throws Exception {
        int symbolSize = 1400;
        int k = 512;
        byte[] image = new byte[2 * k * symbolSize];
        new Random(14).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(45, dataGroup.getHostAddress(), port, symbolSize, k);
        var reports = new CopyOnWriteArrayList<org.stbguest.multicast.wire.FeedbackFrame>();
        var reportedAt = new ConcurrentHashMap<org.stbguest.multicast.wire.FeedbackFrame, Long>();
        DatagramChannel ch = senderCollecting(report -> {
            reportedAt.put(report, System.nanoTime());
            reports.add(report);
        });
        var sender = (java.net.InetSocketAddress) ch.localAddress();
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        var receiver = TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                chunks::put, workers, null, new TransmissionReceiver.Feedback(sender, Duration.ofMillis(20)));
        try {
            for (int id = 0; id < k; id++) {
                sendSource(ch, 45, image, symbolSize, k, 0, id);
            }
            for (int id = 0; id < 100; id++) {
                sendSource(ch, 45, image, symbolSize, k, 1, id);
            }
            long lastSent = System.nanoTime();
            awaitCondition(() -> reports.stream().anyMatch(r -> deficitOf(r, 1) == k - 100), "block 1 reported");
            var first = reports.stream().filter(r -> deficitOf(r, 1) == k - 100).findFirst().orElseThrow();
            assertThat(first.atBlock()).as("the first report of the short last block carries the position").isEqualTo(1);
            assertThat(first.atId()).isEqualTo(99);
            awaitCondition(() -> reports.stream().anyMatch(r -> deficitOf(r, 1) == k - 100 && r.atBlock() < 0),
                    "block 1 reported without a position");
            var plain = reports.stream().filter(r -> deficitOf(r, 1) == k - 100 && r.atBlock() < 0).findFirst()
                    .orElseThrow();
            assertThat(reportedAt.get(plain) - lastSent).as("only after a long quiet (1 s)")
                    .isGreaterThanOrEqualTo(1_000_000_000L);
        } finally {
            receiver.close();
            ch.close().sync();
        }
    }

    /** A sender's socket on loopback that hands every feedback frame it receives to {@code onReport}. */
    private DatagramChannel senderCollecting(
            java.util.function.Consumer<org.stbguest.multicast.wire.FeedbackFrame> onReport)
            throws InterruptedException {
        return MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK,
                new io.netty.channel.SimpleChannelInboundHandler<org.stbguest.multicast.wire.Frame>() {
                    @Override
                    protected void channelRead0(io.netty.channel.ChannelHandlerContext ctx,
                                                org.stbguest.multicast.wire.Frame f) {
                        if (f instanceof org.stbguest.multicast.wire.FeedbackFrame report) {
                            onReport.accept(report);
                        }
                    }
                });
    }

    /** Sends source symbol {@code id} of block {@code block} to the data group, as a sender would. */
    private void sendSource(DatagramChannel ch, long tx, byte[] image, int symbolSize, int k, int block, int id)
            throws InterruptedException {
        int from = (block * k + id) * symbolSize;
        byte[] payload = java.util.Arrays.copyOfRange(image, from, from + symbolSize);
        ch.writeAndFlush(new io.netty.channel.DefaultAddressedEnvelope<>(
                new org.stbguest.multicast.wire.DataFrame(tx, block, id, 0, payload),
                new java.net.InetSocketAddress(dataGroup, port))).sync();
    }

    private static int deficitOf(org.stbguest.multicast.wire.FeedbackFrame report, int block) {
        for (int i = 0; i < report.blocks().length; i++) {
            if (report.blocks()[i] == block) {
                return report.deficits()[i];
            }
        }
        return 0;
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
    }

    @Test
    void aReceiverThatTunesInLateCompletesFromTheCarousel() throws Exception {
        byte[] image = new byte[CHUNK * 6];
        new Random(4).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(42, dataGroup.getHostAddress(), port, 1400, 64);
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK);
        var sent = new java.util.concurrent.atomic.AtomicLong();
        var late = new java.util.concurrent.atomic.AtomicReference<TransmissionReceiver>();
        var sender = Executors.newSingleThreadExecutor();
        try {
            var sending = sender.submit(() -> new TransmissionSender(ch, sent).transmit(plan(manifest, 0.05),
                    ImageSource.of(image), null, () -> late.get() == null || !late.get().completion().isDone()));
            // tune in once half of the first cycle has gone by: the start of the image is already missed
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() > image.length / 2);
            late.set(TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                    chunks::put, workers));
            late.get().completion().get(20, TimeUnit.SECONDS);
            var result = sending.get(20, TimeUnit.SECONDS);
            assertThat(result.cycles()).as("it needed the carousel's second cycle").isGreaterThanOrEqualTo(1);
        } finally {
            sender.shutdownNow();
            ch.close().sync();
            if (late.get() != null) {
                late.get().close();
            }
        }
        assertThat(Digest.sha256(join(chunks, manifest))).isEqualTo(Digest.sha256(image));
    }

    @Test
    void signedAnnouncementsArriveAndForgedOrReplayedOnesAreRefused() throws Exception {
        SoftwareSigner root = SoftwareSigner.generate();
        SoftwareSigner director = SoftwareSigner.generate();
        SoftwareSigner stranger = SoftwareSigner.generate();
        var keySet = new KeySet(1, Instant.now().plus(Duration.ofDays(30)), new RoleKeys(1, List.of(root.publicKey())),
                new RoleKeys(1, List.of(root.publicKey())), new RoleKeys(1, List.of(director.publicKey())));
        BoxTrust box = BoxTrust.pinned(SignedKeySet.sign(keySet, root), java.time.InstantSource.system());
        var announce = new Statement.Announce(42, Digest.sha256(new byte[] {1}), "239.255.77.2", port, 1000, 1400);
        SignedStatement first = SignedStatement.sign(new SignedStatement.Envelope(10, Instant.now().plusSeconds(600), announce), director);
        SignedStatement second = SignedStatement.sign(new SignedStatement.Envelope(11, Instant.now().plusSeconds(600), announce), director);
        SignedStatement forged = SignedStatement.sign(new SignedStatement.Envelope(12, Instant.now().plusSeconds(600), announce), stranger);

        List<String> outcomes = new CopyOnWriteArrayList<>();
        var heard = new java.util.concurrent.CountDownLatch(4);
        try (var listener = AnnouncementListener.start(loops, MulticastSettings.LOOPBACK, controlGroup, port + 1, a -> {
            try {
                outcomes.add(box.accept(a.statement()).isPresent() ? "accepted" : "same");
            } catch (org.stbguest.image.ImageVerificationException e) {
                outcomes.add(e.reason().name());
            }
            heard.countDown();
        })) {
            DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK);
            try {
                var to = new java.net.InetSocketAddress(controlGroup, port + 1);
                for (SignedStatement s : List.of(first, second, first, forged)) {
                    // one at a time, in order: wait until the listener has judged it (the count is read before the
                    // send: read after it, a fast listener had already counted down and the wait missed it)
                    long before = heard.getCount();
                    ch.writeAndFlush(new io.netty.channel.DefaultAddressedEnvelope<>(AnnounceFrame.of(s), to)).sync();
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> heard.getCount() < before);
                }
            } finally {
                ch.close().sync();
            }
            assertThat(heard.await(5, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(outcomes).containsExactly("accepted", "accepted", "REPLAYED", "INSUFFICIENT_SIGNATURES");
    }

    /** Which data symbols a test filter drops, by block and symbol id (called on the receiving thread). */
    @FunctionalInterface
    private interface SymbolLoss {
        boolean drop(int block, int id);
    }

    /** An inbound filter that drops the data frames {@code loss} picks, counting them in {@code dropped}. */
    private static io.netty.channel.ChannelInboundHandlerAdapter dropping(SymbolLoss loss,
                                                                         java.util.concurrent.atomic.AtomicInteger dropped) {
        return new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                var p = (io.netty.channel.socket.DatagramPacket) msg;
                int at = p.content().readerIndex();
                if (p.content().getByte(at + 3) == org.stbguest.multicast.wire.WireFormat.TYPE_DATA
                        && loss.drop(p.content().getUnsignedMedium(at + 8), p.content().getUnsignedMedium(at + 11))) {
                    dropped.incrementAndGet();
                    p.release();
                    return;
                }
                ctx.fireChannelRead(msg);
            }
        };
    }
}
