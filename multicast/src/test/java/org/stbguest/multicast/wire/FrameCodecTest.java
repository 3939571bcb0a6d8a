package org.stbguest.multicast.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultAddressedEnvelope;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.stbguest.image.Digest;

class FrameCodecTest {

    private static final InetSocketAddress GROUP = new InetSocketAddress("239.255.42.2", 5001);

    @Test
    void dataFrameRoundTrips() {
        byte[] payload = new byte[1400];
        new Random(1).nextBytes(payload);
        assertRoundTrip(new DataFrame(0xF1223344L, 17, 200, 0, payload));
        assertRoundTrip(new DataFrame(0xFFFFFFFFL, DataFrame.MAX_BLOCK, DataFrame.MAX_SYMBOL_ID, DataFrame.MAX_WEIGHT, payload));
        assertThat(DataFrame.wireId(0x1_0000_0005L)).isEqualTo(5);
    }

    /** The sender's hot path writes data frames from their parts: the same bytes as the frame's own encoding. */
    @Test
    void dataFrameFromPartsIsTheSameAsTheFrame() {
        byte[] symbol = new byte[1456];
        new Random(2).nextBytes(symbol);
        ByteBuf fromParts = Unpooled.buffer();
        ByteBuf fromFrame = Unpooled.buffer();
        try {
            FrameEncoder.encodeData(fromParts, 0xF1223344L, 5, 16_000, 12, symbol, 1000);
            FrameEncoder.encode(new DataFrame(0xF1223344L, 5, 16_000, 12, java.util.Arrays.copyOf(symbol, 1000)), fromFrame);
            assertThat(fromParts.readableBytes()).isEqualTo(WireFormat.DATA_HEADER + 1000);
            assertThat(io.netty.buffer.ByteBufUtil.equals(fromParts, fromFrame)).isTrue();
            assertThat(FrameDecoder.decode(fromParts)).isEqualTo(new DataFrame(0xF1223344L, 5, 16_000, 12,
                    java.util.Arrays.copyOf(symbol, 1000)));
        } finally {
            fromParts.release();
            fromFrame.release();
        }
    }

    @Test
    void feedbackFrameRoundTrips() {
        assertRoundTrip(new FeedbackFrame(5, 0x7abc, new int[] {0, 17, 4000}, new int[] {3, 1, 64}));
        assertRoundTrip(new FeedbackFrame(5, 0x7abc, 17, 16_383, new int[] {0, 17, 4000}, new int[] {3, 1, 64}));
        assertRoundTrip(new FeedbackFrame(5, 0x7abc, WireFormat.POSITION_NONE - 1, 0, new int[] {1}, new int[] {2}));
        assertRoundTrip(new FeedbackFrame(5, 1, new int[0], new int[0]));
        assertRoundTrip(new FeedbackFrame(5, 1, 3, 700, new int[0], new int[0]));
    }

    @Test
    void anEmptyReportIsCompleteWithoutAPositionAndProgressWithOne() {
        var complete = new FeedbackFrame(5, 1, new int[0], new int[0]);
        var progress = new FeedbackFrame(5, 1, 3, 700, new int[0], new int[0]);
        var deficits = new FeedbackFrame(5, 1, 3, 700, new int[] {2}, new int[] {9});
        assertThat(complete.complete()).isTrue();
        assertThat(complete.progress()).isFalse();
        assertThat(progress.complete()).as("a box that is behind has not finished").isFalse();
        assertThat(progress.progress()).isTrue();
        assertThat(deficits.complete()).isFalse();
        assertThat(deficits.progress()).isFalse();
    }

    @Test
    void signedAnnounceFrameRoundTrips() {
        var director = org.stbguest.image.SoftwareSigner.generate();
        var statement = org.stbguest.image.trust.SignedStatement.sign(new org.stbguest.image.trust.SignedStatement.Envelope(
                5, java.time.Instant.parse("2027-01-01T00:00:00Z"), new org.stbguest.image.trust.Statement.Announce(9,
                Digest.sha256(new byte[] {7}), "239.255.42.2", 5001, 123_456_789L, 1400)), director);
        assertRoundTrip(AnnounceFrame.of(statement));
    }

    @Test
    void malformedAndForeignDatagramsAreDroppedAndCounted() {
        FrameDecoder decoder = new FrameDecoder();
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        Random random = new Random(5);
        int sent = 0;
        int withHeader = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[random.nextInt(80)];
            random.nextBytes(junk);
            if (i % 3 == 0 && junk.length > 4) {
                junk[0] = 0x53;
                junk[1] = 0x54;
                junk[2] = WireFormat.VERSION;
                junk[3] = (byte) (1 + random.nextInt(3));
                withHeader++;
            }
            channel.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(junk), GROUP));
            sent++;
        }
        Object o;
        int decoded = 0;
        while ((o = channel.readInbound()) != null) {
            decoded++;
            assertThat(o).isInstanceOf(Frame.class);
        }
        assertThat(decoder.dropped() + decoded).isEqualTo(sent);
        // only datagrams with our header can decode (a data frame is any header plus payload: the receiver judges
        // the payload against the layout); random bytes never do
        assertThat(decoded).isPositive().isLessThanOrEqualTo(withHeader);
        assertThat(decoder.dropped()).isGreaterThanOrEqualTo(sent - withHeader);
        assertFalse(channel.finish());
    }

    @Test
    void dataFrameCutInsideItsHeaderOrWithoutPayloadIsDropped() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameEncoder());
        channel.writeOutbound(new DefaultAddressedEnvelope<Frame, InetSocketAddress>(
                new DataFrame(1, 0, 0, 1, new byte[] {1, 2, 3}), GROUP));
        DatagramPacket packet = channel.readOutbound();
        assertThat(packet.content().readableBytes()).isEqualTo(WireFormat.DATA_HEADER + 3);
        for (int cut = 1; cut <= 3; cut++) {
            ByteBuf truncated = packet.content().copy(0, WireFormat.DATA_HEADER + 3 - cut);
            try {
                Frame f = FrameDecoder.decode(truncated);
                if (cut < 3) { // a shorter payload is still a frame: the receiver checks its length against the layout
                    assertThat(f).isInstanceOf(DataFrame.class);
                    assertThat(((DataFrame) f).payload()).hasSize(3 - cut);
                } else {
                    assertThat(f).as("header only").isNull();
                }
            } finally {
                truncated.release();
            }
        }
        ByteBuf headerCut = packet.content().copy(0, WireFormat.DATA_HEADER - 1);
        packet.release();
        try {
            assertThat(FrameDecoder.decode(headerCut)).isNull();
        } finally {
            headerCut.release();
        }
        assertFalse(channel.finish());
    }

    private static void assertRoundTrip(Frame frame) {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameEncoder(), new FrameDecoder());
        channel.writeOutbound(new DefaultAddressedEnvelope<>(frame, GROUP));
        DatagramPacket packet = channel.readOutbound();
        assertThat(packet.recipient()).isEqualTo(GROUP);
        assertThat(packet.content().readableBytes()).isEqualTo(FrameEncoder.encodedSize(frame));
        channel.writeInbound(packet);
        Frame back = channel.readInbound();
        assertThat(back).isEqualTo(frame);
        assertFalse(channel.finish());
    }
}
