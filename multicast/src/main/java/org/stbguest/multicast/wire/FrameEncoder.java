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
                writeDataHeader(buf, d.transmissionId(), d.sourceBlock(), d.symbolId(), d.weight());
                buf.writeBytes(d.payload());
            }
            case FEEDBACK -> {
                FeedbackFrame f = (FeedbackFrame) frame;
                buf.writeByte(WireFormat.TYPE_FEEDBACK).writeLong(f.transmissionId()).writeInt(f.receiverId())
                        .writeMedium(f.atBlock() < 0 ? WireFormat.POSITION_NONE : f.atBlock())
                        .writeMedium(f.atId() < 0 ? WireFormat.POSITION_NONE : f.atId())
                        .writeShort(f.blocks().length);
                for (int i = 0; i < f.blocks().length; i++) {
                    buf.writeInt(f.blocks()[i]).writeShort(f.deficits()[i]);
                }
            }
            case ANNOUNCE -> {
                AnnounceFrame a = (AnnounceFrame) frame;
                byte[] statement = a.statement().bytes();
                buf.writeByte(WireFormat.TYPE_ANNOUNCE).writeShort(statement.length).writeBytes(statement)
                        .writeByte(a.statement().signatures().size());
                for (var sig : a.statement().signatures()) {
                    buf.writeBytes(java.util.HexFormat.of().parseHex(sig.keyId().hex())).writeBytes(sig.signature());
                }
            }
        }
    }

    /**
     * Writes a data frame from its parts, the payload being the first {@code length} bytes of {@code payload}: what
     * {@code encode(new DataFrame(...), buf)} writes, without the frame object or a copy of the payload (the sender's
     * hot path). The parts are not checked: the caller's own symbols.
     */
    public static void encodeData(ByteBuf buf, long transmissionId, int block, int symbolId, int weight, byte[] payload,
                                  int length) {
        encodeDataHeader(buf, transmissionId, block, symbolId, weight);
        buf.writeBytes(payload, 0, length);
    }

    /** Writes a data frame's header; its payload (the rest of the datagram) is the caller's to write next. */
    public static void encodeDataHeader(ByteBuf buf, long transmissionId, int block, int symbolId, int weight) {
        buf.writeShort(WireFormat.MAGIC).writeByte(WireFormat.VERSION);
        writeDataHeader(buf, transmissionId, block, symbolId, weight);
    }

    private static void writeDataHeader(ByteBuf buf, long transmissionId, int block, int symbolId, int weight) {
        buf.writeByte(WireFormat.TYPE_DATA)
                .writeInt((int) transmissionId)
                .writeMedium(block)
                .writeMedium(symbolId)
                .writeShort(weight);
    }

    /** Bytes the frame takes on the wire. */
    public static int encodedSize(Frame frame) {
        return switch (frame.kind()) {
            case DATA -> WireFormat.DATA_HEADER + ((DataFrame) frame).payload().length;
            case FEEDBACK -> WireFormat.FEEDBACK_HEADER + WireFormat.FEEDBACK_ENTRY * ((FeedbackFrame) frame).blocks().length;
            case ANNOUNCE -> {
                AnnounceFrame a = (AnnounceFrame) frame;
                yield 4 + 2 + a.statement().bytes().length + 1 + WireFormat.SIGNATURE_ENTRY * a.statement().signatures().size();
            }
        };
    }
}
