package org.stbguest.multicast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stbguest.multicast.TestImages.CHUNK;
import static org.stbguest.multicast.TestImages.address;
import static org.stbguest.multicast.TestImages.join;
import static org.stbguest.multicast.TestImages.manifestOf;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.DatagramChannel;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stbguest.device.api.TransmissionInfo;
import org.stbguest.image.Digest;
import org.stbguest.image.Manifest;

/** The datagram transports (Linux's native epoll and the JDK's NIO), the sender's pacing and the receiver warm-up. */
class TransportTest {

    private final List<EventLoopGroup> groups = new ArrayList<>();
    private final ExecutorService workers = Executors.newFixedThreadPool(2);
    private final int port = 43_000 + new Random().nextInt(900);
    private final Inet4Address group = address("239.255.78.2");

    @AfterEach
    void tearDown() throws Exception {
        for (var g : groups) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        workers.shutdownNow();
    }

    private EventLoopGroup group(int threads, boolean nativeTransport) {
        var g = MulticastChannels.newEventLoopGroup(threads, nativeTransport);
        groups.add(g);
        return g;
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void linuxUsesTheNativeTransport() {
        assertThat(Epoll.isAvailable()).as("epoll unavailable: %s", Epoll.unavailabilityCause()).isTrue();
        if (System.getProperty("stbguest.multicast.transport") == null) {
            assertThat(MulticastChannels.transport()).isEqualTo("epoll");
        }
    }

    /**
     * With UDP segmentation offload a batch goes to the kernel as one buffer, but every receiver still gets the
     * datagrams one by one: a plain JDK socket counts one datagram per symbol, each a whole frame of the right size,
     * the image's short last symbol included.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void segmentedSendsArriveAsSeparateDatagrams() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Epoll.isAvailable(), "no native transport on this OS");
        int symbolSize = 1400;
        byte[] image = new byte[symbolSize * 100 - 300]; // 100 symbols, the last one 1,100 bytes
        new Random(9).nextBytes(image);
        Manifest manifest = manifestOf(image);
        DatagramChannel ch = MulticastChannels.openSender(group(1, true), MulticastSettings.LOOPBACK);
        assertThat(MulticastChannels.segmentationOffload(ch)).as("UDP_SEGMENT on this kernel").isTrue();
        var lo = java.net.NetworkInterface.getByName("lo");
        try (var socket = java.nio.channels.DatagramChannel.open(java.net.StandardProtocolFamily.INET)) {
            socket.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            socket.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
            socket.bind(new InetSocketAddress(group, port));
            socket.join(group, lo);
            var plan = new TransmissionPlan(3, manifest.rootDigest(), group, port, group, port + 1, symbolSize, 100,
                    0, 200_000_000L, 1, Duration.ofSeconds(10));
            new TransmissionSender(ch).transmit(plan, ImageSource.of(image), null, () -> true);
            socket.configureBlocking(false);
            var buf = java.nio.ByteBuffer.allocate(65_536);
            List<Integer> sizes = new ArrayList<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (sizes.size() < 100 && System.nanoTime() < end) {
                buf.clear();
                if (socket.receive(buf) != null) {
                    sizes.add(buf.position());
                } else {
                    Thread.onSpinWait();
                }
            }
            assertThat(sizes).hasSize(100);
            assertThat(sizes.subList(0, 99)).allMatch(n -> n == org.stbguest.multicast.wire.WireFormat.DATA_HEADER + symbolSize);
            assertThat(sizes.get(99)).isEqualTo(org.stbguest.multicast.wire.WireFormat.DATA_HEADER + symbolSize - 300);
        } finally {
            ch.close().sync();
        }
    }

    /** Feedback mode, large-block code, 5% loss at each of two receivers: the same result on both transports. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aFeedbackTransferCompletesOnEitherTransport(boolean nativeTransport) throws Exception {
        if (nativeTransport) {
            org.junit.jupiter.api.Assumptions.assumeTrue(Epoll.isAvailable(), "no native transport on this OS");
        }
        byte[] image = new byte[CHUNK * 24 + 77];
        new Random(8).nextBytes(image);
        Manifest manifest = manifestOf(image);
        var info = new TransmissionInfo(7, group.getHostAddress(), port, 1400, 512);
        var aggregator = new FeedbackAggregator(7);
        DatagramChannel ch = MulticastChannels.openSender(group(1, nativeTransport), MulticastSettings.LOOPBACK, aggregator);
        var feedback = new TransmissionReceiver.Feedback((InetSocketAddress) ch.localAddress(), Duration.ofMillis(40));
        EventLoopGroup receiving = group(2, nativeTransport);
        List<ConcurrentHashMap<Integer, byte[]>> received = new ArrayList<>();
        List<TransmissionReceiver> receivers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            var chunks = new ConcurrentHashMap<Integer, byte[]>();
            received.add(chunks);
            receivers.add(TransmissionReceiver.start(receiving, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                    chunks::put, workers, new LossInjector(0.05, 40 + r), feedback));
        }
        try {
            new TransmissionSender(ch).transmit(new TransmissionPlan(7, manifest.rootDigest(), group, port, group, port + 1,
                    1400, 512, 0, 300_000_000L, 20, Duration.ofSeconds(30)).withFeedback(Duration.ofMillis(150)),
                    ImageSource.of(image), null, () -> true, aggregator);
        } finally {
            ch.close().sync();
        }
        for (int r = 0; r < receivers.size(); r++) {
            receivers.get(r).completion().get(5, TimeUnit.SECONDS);
            receivers.get(r).close();
            assertThat(Digest.sha256(join(received.get(r), manifest))).isEqualTo(Digest.sha256(image));
        }
        assertThat(aggregator.completeReceivers()).isEqualTo(2);
    }

    /** Datagrams leave in bursts, but the average rate is the plan's: neither faster nor much slower. */
    @Test
    void theSenderHoldsThePlannedRate() throws Exception {
        byte[] image = new byte[2 * 1024 * 1024];
        Manifest manifest = manifestOf(image);
        long rate = 40_000_000L;
        DatagramChannel ch = MulticastChannels.openSender(group(1, Epoll.isAvailable()), MulticastSettings.LOOPBACK);
        TransmissionSender.Result result;
        long started = System.nanoTime();
        try {
            result = new TransmissionSender(ch).transmit(new TransmissionPlan(9, manifest.rootDigest(), group, port,
                    group, port + 1, 1400, 64, 0.05, rate, 1, Duration.ofSeconds(30)), ImageSource.of(image), null,
                    () -> true);
        } finally {
            ch.close().sync();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        double expected = result.bytesSent() * 8.0 / rate;
        assertThat(result.cycles()).isEqualTo(1);
        assertThat(seconds).as("sent %d bytes in %.3f s at %d bit/s", result.bytesSent(), seconds, rate)
                .isGreaterThan(expected * 0.95).isLessThan(expected * 2 + 0.5);
    }
}
