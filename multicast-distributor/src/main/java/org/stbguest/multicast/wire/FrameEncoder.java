package org.stbguest.multicast.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.net.InetSocketAddress;
import java.util.List;

/** Encodes a {@link Frame} addressed to a group into a datagram. Stateless and shared. */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToMessageEncoder<AddressedEnvelope<Frame, InetSocketAddress>> {

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof AddressedEnvelope<?, ?> e && e.content() instanceof Frame;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, AddressedEnvelope<Frame, InetSocketAddress> msg, List<Object> out) {
        Frame frame = msg.content();
        ByteBuf buf = ctx.alloc().buffer(encodedSize(frame));
        boolean success = false;
        try {
            encode(frame, buf);
            out.add(new DatagramPacket(buf, msg.recipient()));
            success = true;
        } finally {
            if (!success) {
                buf.release();
            }
        }
    }

    /** Writes one frame's bytes. */
    public static void encode(Frame frame, ByteBuf buf) {
        buf.writeShort(WireFormat.MAGIC).writeByte(WireFormat.VERSION);
        switch (frame.kind()) {
            case DATA -> {
                DataFrame d = (DataFrame) frame;
                buf.writeByte(WireFormat.TYPE_DATA)
                        .writeLong(d.transmissionId())
                        .writeInt(d.symbolIndex())
                        .writeInt(d.symbolCount())
                        .writeShort(d.payload().length)
                        .writeBytes(d.payload());
            }
            case ANNOUNCE -> {
                AnnounceFrame a = (AnnounceFrame) frame;
                buf.writeByte(WireFormat.TYPE_ANNOUNCE)
                        .writeLong(a.transmissionId())
                        .writeBytes(a.rootDigest().bytes())
                        .writeBytes(a.dataGroup().getAddress())
                        .writeShort(a.dataPort())
                        .writeLong(a.imageSize())
                        .writeShort(a.symbolSize());
            }
        }
    }

    /** Bytes the frame takes on the wire. */
    public static int encodedSize(Frame frame) {
        return switch (frame.kind()) {
            case DATA -> WireFormat.DATA_HEADER + ((DataFrame) frame).payload().length;
            case ANNOUNCE -> WireFormat.ANNOUNCE_SIZE;
        };
    }
}
