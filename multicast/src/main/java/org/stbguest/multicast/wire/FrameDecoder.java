package org.stbguest.multicast.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.stbguest.image.DetachedSignature;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.KeyId;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.StatementCodec;

/**
 * Decodes datagrams into {@link Frame}s. Stateless and shared. Anything that is not a well-formed frame of this wire
 * format version (foreign traffic, truncation, bad lengths, unknown versions or types) is dropped and counted, never
 * thrown up the pipeline: a multicast group is open to anyone on the segment.
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

    /** Takes a data frame read in place (see {@link #readData}). */
    @FunctionalInterface
    public interface DataReader {
        /**
         * One data frame: its fields, and its payload as bytes {@code payloadIndex..payloadIndex+payloadLength} of
         * {@code buf}, valid only during the call.
         */
        void data(long transmissionId, int block, int symbolId, int weight, ByteBuf buf, int payloadIndex,
                  int payloadLength);
    }

    /** What {@link #readData} found in a datagram. */
    public enum DataRead {
        /** A well-formed data frame, handed to the reader. */
        DATA,
        /** A datagram of this version's data type whose lengths are wrong: malformed. */
        MALFORMED,
        /** Not a data frame of this version: for {@link #decode} to judge. */
        OTHER
    }

    /**
     * Reads a data frame in place, without a frame object or a copy of its payload (the receiver's hot path), by the
     * rules {@link #decode} applies to data frames. Does not release.
     */
    public static DataRead readData(ByteBuf buf, DataReader reader) {
        int start = buf.readerIndex();
        int len = buf.readableBytes();
        if (len < 4 || buf.getShort(start) != WireFormat.MAGIC || buf.getByte(start + 2) != WireFormat.VERSION
                || buf.getByte(start + 3) != WireFormat.TYPE_DATA) {
            return DataRead.OTHER;
        }
        int payloadLength = len - WireFormat.DATA_HEADER;
        if (payloadLength <= 0 || payloadLength > WireFormat.MAX_PAYLOAD) {
            return DataRead.MALFORMED;
        }
        reader.data(buf.getUnsignedInt(start + 4), buf.getUnsignedMedium(start + 8), buf.getUnsignedMedium(start + 11),
                buf.getUnsignedShort(start + 14), buf, start + WireFormat.DATA_HEADER, payloadLength);
        return DataRead.DATA;
    }

    /** Decodes one datagram's bytes, or returns null when they are not a valid frame. Does not release. */
    public static Frame decode(ByteBuf buf) {
        int start = buf.readerIndex();
        int len = buf.readableBytes();
        if (len < 4 || buf.getShort(start) != WireFormat.MAGIC || buf.getByte(start + 2) != WireFormat.VERSION) {
            return null;
        }
        byte type = buf.getByte(start + 3);
        try {
            return switch (type) {
                case WireFormat.TYPE_DATA -> decodeData(buf);
                case WireFormat.TYPE_ANNOUNCE -> decodeAnnounce(buf, start, len);
                case WireFormat.TYPE_FEEDBACK -> decodeFeedback(buf, start, len);
                default -> null;
            };
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static DataFrame decodeData(ByteBuf buf) {
        DataFrame[] frame = new DataFrame[1];
        readData(buf, (tx, block, symbol, weight, in, index, length) -> {
            byte[] payload = new byte[length];
            in.getBytes(index, payload);
            frame[0] = new DataFrame(tx, block, symbol, weight, payload);
        });
        return frame[0];
    }

    private static FeedbackFrame decodeFeedback(ByteBuf buf, int start, int len) {
        if (len < WireFormat.FEEDBACK_HEADER) {
            return null;
        }
        long tx = buf.getLong(start + 4);
        int receiver = buf.getInt(start + 12);
        int atBlock = buf.getUnsignedMedium(start + 16);
        int atId = buf.getUnsignedMedium(start + 19);
        if ((atBlock == WireFormat.POSITION_NONE) != (atId == WireFormat.POSITION_NONE)) {
            return null;
        }
        int count = buf.getUnsignedShort(start + 22);
        if (count > FeedbackFrame.MAX_ENTRIES || len != WireFormat.FEEDBACK_HEADER + count * WireFormat.FEEDBACK_ENTRY) {
            return null;
        }
        int[] blocks = new int[count];
        int[] deficits = new int[count];
        for (int i = 0; i < count; i++) {
            int at = start + WireFormat.FEEDBACK_HEADER + i * WireFormat.FEEDBACK_ENTRY;
            blocks[i] = buf.getInt(at);
            deficits[i] = buf.getUnsignedShort(at + 4);
        }
        return atBlock == WireFormat.POSITION_NONE ? new FeedbackFrame(tx, receiver, blocks, deficits)
                : new FeedbackFrame(tx, receiver, atBlock, atId, blocks, deficits);
    }

    private static AnnounceFrame decodeAnnounce(ByteBuf buf, int start, int len) {
        int at = start + 4;
        if (len < 4 + 2 + 1) {
            return null;
        }
        int statementLength = buf.getUnsignedShort(at);
        at += 2;
        if (statementLength == 0 || statementLength > StatementCodec.MAX_SIZE || at + statementLength + 1 > start + len) {
            return null;
        }
        byte[] statement = new byte[statementLength];
        buf.getBytes(at, statement);
        at += statementLength;
        int count = buf.getUnsignedByte(at++);
        if (count > WireFormat.MAX_SIGNATURES || at + count * WireFormat.SIGNATURE_ENTRY != start + len) {
            return null;
        }
        List<DetachedSignature> signatures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] keyId = new byte[16];
            byte[] sig = new byte[64];
            buf.getBytes(at, keyId);
            buf.getBytes(at + 16, sig);
            at += WireFormat.SIGNATURE_ENTRY;
            signatures.add(DetachedSignature.of(KeyId.parse(HexFormat.of().formatHex(keyId)), sig));
        }
        try {
            return AnnounceFrame.of(new SignedStatement(Base64.getEncoder().encodeToString(statement), signatures));
        } catch (ImageVerificationException e) {
            return null;
        }
    }
}
