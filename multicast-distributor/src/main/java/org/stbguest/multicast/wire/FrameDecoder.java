package org.stbguest.multicast.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.stbguest.image.Digest;

/**
 * Decodes datagrams into {@link Frame}s. Stateless and shared. Anything that is not a well-formed v1 frame (foreign
 * traffic, truncation, bad lengths, unknown versions or types) is dropped and counted, never thrown up the pipeline:
 * a multicast group is open to anyone on the segment.
 */
@ChannelHandler.Sharable
public final class FrameDecoder extends MessageToMessageDecoder<DatagramPacket> {

    private final LongAdder dropped = new LongAdder();

    public FrameDecoder() {
        super(DatagramPacket.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, DatagramPacket packet, List<Object> out) {
        Frame frame = decode(packet.content());
        if (frame == null) {
            dropped.increment();
        } else {
            out.add(frame);
        }
    }

    /** Datagrams dropped as malformed or foreign since this decoder was made. */
    public long dropped() {
        return dropped.sum();
    }

    /** Decodes one datagram's bytes, or returns null when they are not a valid v1 frame. Does not release. */
    public static Frame decode(ByteBuf buf) {
        int start = buf.readerIndex();
        int len = buf.readableBytes();
        if (len < 4 || buf.getShort(start) != WireFormat.MAGIC || buf.getByte(start + 2) != WireFormat.VERSION) {
            return null;
        }
        byte type = buf.getByte(start + 3);
        try {
            return switch (type) {
                case WireFormat.TYPE_DATA -> decodeData(buf, start, len);
                case WireFormat.TYPE_ANNOUNCE -> decodeAnnounce(buf, start, len);
                default -> null;
            };
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static DataFrame decodeData(ByteBuf buf, int start, int len) {
        if (len < WireFormat.DATA_HEADER) {
            return null;
        }
        long tx = buf.getLong(start + 4);
        int index = buf.getInt(start + 12);
        int count = buf.getInt(start + 16);
        int payloadLength = buf.getUnsignedShort(start + 20);
        if (payloadLength == 0 || WireFormat.DATA_HEADER + payloadLength != len) {
            return null;
        }
        byte[] payload = new byte[payloadLength];
        buf.getBytes(start + WireFormat.DATA_HEADER, payload);
        return new DataFrame(tx, index, count, payload);
    }

    private static AnnounceFrame decodeAnnounce(ByteBuf buf, int start, int len) {
        if (len != WireFormat.ANNOUNCE_SIZE) {
            return null;
        }
        long tx = buf.getLong(start + 4);
        byte[] digest = new byte[Digest.LENGTH];
        buf.getBytes(start + 12, digest);
        byte[] group = new byte[4];
        buf.getBytes(start + 44, group);
        int port = buf.getUnsignedShort(start + 48);
        long size = buf.getLong(start + 50);
        int symbolSize = buf.getUnsignedShort(start + 58);
        InetAddress address;
        try {
            address = InetAddress.getByAddress(group);
        } catch (UnknownHostException e) {
            return null;
        }
        return new AnnounceFrame(tx, Digest.ofBytes(digest), (Inet4Address) address, port, size, symbolSize);
    }
}
