package org.stbguest.multicast;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import java.io.ByteArrayInputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.stbguest.device.api.TransmissionInfo;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageChunker;
import org.stbguest.image.Manifest;
import org.stbguest.multicast.wire.AnnounceFrame;

/** Real UDP multicast on the loopback interface, TTL 1. */
class LoopbackTransmissionTest {

    private static final int CHUNK = 64 * 1024;
    private final EventLoopGroup loops = MulticastChannels.newEventLoopGroup(2);
    private final EventLoopGroup senderLoop = MulticastChannels.newEventLoopGroup(1);
    private final ExecutorService workers = Executors.newFixedThreadPool(2);

    @AfterEach
    void tearDown() throws Exception {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        senderLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        workers.shutdownNow();
    }

    @Test
    void threeReceiversReassembleAndVerifyTheWholeImage() throws Exception {
        byte[] image = new byte[CHUNK * 5 + 999];
        new Random(3).nextBytes(image);
        Manifest manifest = ImageChunker.chunk(new ByteArrayInputStream(image),
                new ImageChunker.ImageInfo("entertainment", 2, 1, Set.of("stb-x1"), CHUNK), Long.MAX_VALUE, (i, d, b, l) -> { });
        Inet4Address dataGroup = (Inet4Address) InetAddress.getByName("239.255.77.2");
        Inet4Address controlGroup = (Inet4Address) InetAddress.getByName("239.255.77.1");
        int dataPort = 41_000 + new Random().nextInt(1000);
        var info = new TransmissionInfo(42, dataGroup.getHostAddress(), dataPort, 1400);

        List<ConcurrentHashMap<Integer, byte[]>> received = new ArrayList<>();
        List<TransmissionReceiver> receivers = new ArrayList<>();
        List<AnnounceFrame> announcements = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (var listener = AnnouncementListener.start(loops, MulticastSettings.LOOPBACK, controlGroup, dataPort + 1,
                announcements::add)) {
            for (int r = 0; r < 3; r++) {
                var chunks = new ConcurrentHashMap<Integer, byte[]>();
                received.add(chunks);
                receivers.add(TransmissionReceiver.start(loops, MulticastSettings.LOOPBACK, info, manifest, new BitSet(),
                        chunks::put, workers));
            }
            DatagramChannel ch = MulticastChannels.openSender(senderLoop, MulticastSettings.LOOPBACK);
            try {
                var plan = new TransmissionPlan(42, manifest.rootDigest(), dataGroup, dataPort, controlGroup, dataPort + 1,
                        1400, 200_000_000L, 20, Duration.ofSeconds(20));
                var result = new TransmissionSender(ch).transmit(plan, ImageSource.of(image),
                        () -> !receivers.stream().allMatch(r -> r.completion().isDone()));
                assertThat(result.stoppedByCaller()).isTrue();
            } finally {
                ch.close().sync();
            }
            for (var r : receivers) {
                r.completion().get(5, TimeUnit.SECONDS);
                r.close();
            }
        }
        for (var chunks : received) {
            var out = new java.io.ByteArrayOutputStream();
            for (int c = 0; c < manifest.chunkDigests().size(); c++) {
                out.write(chunks.get(c));
            }
            assertThat(Digest.sha256(out.toByteArray())).isEqualTo(Digest.sha256(image));
        }
        assertThat(announcements).isNotEmpty();
        assertThat(announcements.get(0).rootDigest()).isEqualTo(manifest.rootDigest());
    }
}
