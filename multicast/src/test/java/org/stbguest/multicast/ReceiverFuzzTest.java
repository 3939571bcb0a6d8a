package org.stbguest.multicast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.stbguest.device.api.TransmissionInfo;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageChunker;
import org.stbguest.image.Manifest;
import org.stbguest.multicast.fec.BlockCode;
import org.stbguest.multicast.wire.DataFrame;
import org.stbguest.multicast.wire.Frame;
import org.stbguest.multicast.wire.FrameEncoder;

/**
 * More than a million malformed, foreign and forged packets, interleaved with a genuine transmission, through the
 * receiver's real pipeline: no exception escapes, every datagram buffer is released, forged symbols are caught by
 * chunk verification (never written), and once the flood stops the carousel completes the image with the right
 * digest. (Forged symbols can delay a box, as any flood can; they cannot corrupt it.)
 */
class ReceiverFuzzTest {

    private static final InetSocketAddress FROM = new InetSocketAddress("127.0.0.1", 40000);
    private static final int CHUNK = 64 * 1024;

    @Test
    void aMillionHostilePacketsNeitherCrashNorLeakNorCorruptTheImage() throws Exception {
        fuzz(64, 1_200_000);
    }

    /** The same against the large-block code, whose rows are forged with random weights as well. */
    @Test
    void hostilePacketsAgainstTheLargeBlockCode() throws Exception {
        fuzz(256, 300_000);
    }

    private void fuzz(int blockSymbols, int hostile) throws Exception {
        byte[] image = new byte[CHUNK * 4 + 77];
        Random random = new Random(2026);
        random.nextBytes(image);
        Manifest manifest = ImageChunker.chunk(new ByteArrayInputStream(image),
                new ImageChunker.ImageInfo("entertainment", 1, 0, Set.of("stb-x1"), CHUNK), Long.MAX_VALUE, (i, d, b, l) -> { });
        var info = new TransmissionInfo(7, "239.255.77.2", 41000, 1400, blockSymbols);
        var chunks = new ConcurrentHashMap<Integer, byte[]>();
        List<String> wrongWrites = new ArrayList<>();
        TransmissionReceiver receiver = TransmissionReceiver.detached(info, manifest, (c, data) -> {
            if (!Digest.sha256(data).equals(manifest.chunkDigests().get(c))) {
                wrongWrites.add("chunk " + c);
            }
            chunks.put(c, data);
        }, Runnable::run);
        EmbeddedChannel channel = new EmbeddedChannel(receiver.pipeline());

        List<byte[]> genuine = genuineSymbols(image, blockSymbols);
        byte[] template = genuine.get(0);
        int sent = 0;
        int next = 0;
        List<ByteBuf> buffers = new ArrayList<>();
        for (int i = 0; i < hostile; i++) {
            byte[] b = switch (i % 6) {
                case 0 -> randomBytes(random, random.nextInt(1500));
                case 1 -> { // a mutated genuine frame: any header or payload byte changed
                    byte[] m = template.clone();
                    m[random.nextInt(m.length)] = (byte) random.nextInt(256);
                    yield m;
                }
                case 2 -> frame(new DataFrame(8, 0, random.nextInt(256), 0, randomBytes(random, 1400))); // foreign tx
                case 3 -> frame(new DataFrame(7, random.nextInt(100), random.nextInt(1 << 24), random.nextInt(1 << 16),
                        randomBytes(random, 1 + random.nextInt(1400)))); // our tx, nonsense block/id/weight/length
                case 4 -> java.util.Arrays.copyOf(template, random.nextInt(template.length)); // truncated
                default -> frame(new DataFrame(7, random.nextInt(4), blockSymbols + random.nextInt(256 - 64),
                        blockSymbols > 128 ? 1 + random.nextInt(blockSymbols / 2) : 0,
                        randomBytes(random, 1400))); // forged repair symbols for real blocks
            };
            ByteBuf buf = Unpooled.wrappedBuffer(b);
            buffers.add(buf);
            channel.writeInbound(new DatagramPacket(buf, FROM));
            sent++;
            if (i % 200 == 0 && next < genuine.size()) {
                ByteBuf g = Unpooled.wrappedBuffer(genuine.get(next++));
                buffers.add(g);
                channel.writeInbound(new DatagramPacket(g, FROM));
            }
            if (buffers.size() > 10_000) {
                assertReleased(buffers);
                buffers.clear();
            }
        }
        // the flood is over: the carousel goes on until the image is whole (bounded: two more turns)
        for (int turn = 0; turn < 2 * genuine.size() && !receiver.completion().isDone(); turn++) {
            ByteBuf g = Unpooled.wrappedBuffer(genuine.get((next + turn) % genuine.size()));
            buffers.add(g);
            channel.writeInbound(new DatagramPacket(g, FROM));
        }
        assertReleased(buffers);
        assertThat(sent).isEqualTo(hostile);
        assertThat(wrongWrites).as("nothing unverified ever reached the slot").isEmpty();
        assertThat(receiver.completion()).isCompleted();
        var out = new ByteArrayOutputStream();
        for (int c = 0; c < manifest.chunkDigests().size(); c++) {
            out.writeBytes(chunks.get(c));
        }
        assertThat(Digest.sha256(out.toByteArray())).isEqualTo(Digest.sha256(image));
        assertThat(receiver.droppedPackets()).as("malformed datagrams were counted").isPositive();
        assertThat(receiver.rejectedChunks()).as("forged symbols were caught by chunk verification").isPositive();
        assertFalse(channel.finish());
    }

    /** Source symbols of every block, then three rounds of fresh repair symbols: a carousel in miniature. */
    private static List<byte[]> genuineSymbols(byte[] image, int blockSymbols) throws Exception {
        var layout = new BlockLayout(image.length, 1400, blockSymbols);
        List<byte[]> out = new ArrayList<>();
        byte[][] source = new byte[blockSymbols][1400];
        for (int round = 0; round < 4; round++) {
            for (int b = 0; b < layout.blocks(); b++) {
                int k = layout.k(b);
                TransmissionSender.readBlock(ImageSource.of(image), layout, b, source);
                var code = BlockCode.of(blockSymbols, k, 1400);
                var encoder = code.encoder(b, source);
                int weight = code.weightFor(k);
                for (int i = 0; i < k; i++) {
                    int id = round * k + i;
                    if (id > 255) {
                        continue;
                    }
                    byte[] payload;
                    if (id < k) {
                        payload = java.util.Arrays.copyOf(source[id], layout.symbolLength(b, id));
                        out.add(frame(new DataFrame(7, b, id, 0, payload)));
                    } else {
                        payload = new byte[1400];
                        encoder.repair(id, weight, payload);
                        out.add(frame(new DataFrame(7, b, id, weight, payload)));
                    }
                }
            }
        }
        return out;
    }

    /** Every datagram buffer was released (Netty's shared empty buffer, for zero-length datagrams, never is). */
    private static void assertReleased(List<ByteBuf> buffers) {
        assertThat(buffers).filteredOn(b -> b.capacity() > 0)
                .allSatisfy(b -> assertThat(b.refCnt()).as("every datagram is released").isZero());
    }

    private static byte[] frame(Frame f) {
        ByteBuf buf = Unpooled.buffer();
        try {
            FrameEncoder.encode(f, buf);
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } finally {
            buf.release();
        }
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[Math.max(1, n)];
        r.nextBytes(b);
        return b;
    }
}
