package org.stbguest.image.trust;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.stbguest.image.Digest;

/**
 * Canonical bytes of a director statement: magic {@code STDS}, format (u8: 1, or 2 for an activation meant for a
 * cohort), kind (u8: 1 activate, 2 finalize, 3 announce), sequence (u64), expiry (i64 epoch seconds), then the body
 * (see {@code docs/trust.md}).
 * Strict: one statement, one encoding; announcements name an IPv4 multicast group.
 */
public final class StatementCodec {

    /** "STDS". */
    public static final int MAGIC = 0x53544453;
    /** The format of every statement but an activation meant for a cohort. */
    public static final int FORMAT = 1;
    /** The format of an activation meant for a cohort: format 1's body, then the cohort's seed and bound (u64 each). */
    public static final int FORMAT_COHORT = 2;
    /** Largest encoding. */
    public static final int MAX_SIZE = 4 + 1 + 1 + 8 + 8 + 256 + 32 + 16;

    private StatementCodec() {
    }

    public static byte[] encode(SignedStatement.Envelope e) {
        ByteBuffer out = ByteBuffer.allocate(MAX_SIZE);
        Statement s = e.statement();
        boolean cohort = s instanceof Statement.Activate a && a.cohort() != null;
        out.putInt(MAGIC).put((byte) (cohort ? FORMAT_COHORT : FORMAT)).put((byte) (s.kind().ordinal() + 1))
                .putLong(e.sequence())
                .putLong(e.expires().getEpochSecond());
        switch (s.kind()) {
            case ACTIVATE -> {
                var a = (Statement.Activate) s;
                Bytes.writeString(out, a.role());
                out.put(a.image().bytes());
                if (a.cohort() != null) {
                    out.putLong(a.cohort().seed()).putLong(a.cohort().bound());
                }
            }
            case FINALIZE -> {
                var f = (Statement.Finalize) s;
                Bytes.writeString(out, f.role());
                out.putInt((int) f.securityFloor());
            }
            case ANNOUNCE -> {
                var a = (Statement.Announce) s;
                out.putLong(a.transmissionId()).put(a.rootDigest().bytes()).put(Ipv4.parseMulticast(a.dataGroup()))
                        .putShort((short) a.dataPort()).putLong(a.imageSize()).putShort((short) a.symbolSize());
            }
        }
        byte[] b = new byte[out.position()];
        out.flip().get(b);
        return b;
    }

    public static SignedStatement.Envelope decode(byte[] bytes) {
        if (bytes == null || bytes.length > MAX_SIZE) {
            throw Bytes.malformed("statement is missing or too large");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.getInt() != MAGIC) {
                throw Bytes.malformed("not a director statement (bad magic)");
            }
            int format = in.get() & 0xFF;
            if (format != FORMAT && format != FORMAT_COHORT) {
                throw Bytes.malformed("unsupported statement format " + format);
            }
            int kind = in.get() & 0xFF;
            if (kind < 1 || kind > Statement.Kind.values().length) {
                throw Bytes.malformed("unknown statement kind " + kind);
            }
            if (format == FORMAT_COHORT && kind != Statement.Kind.ACTIVATE.ordinal() + 1) {
                throw Bytes.malformed("only an activation can name a cohort");
            }
            long sequence = in.getLong();
            Instant expires = Bytes.readExpiry(in);
            Statement s = switch (Statement.Kind.values()[kind - 1]) {
                case ACTIVATE -> {
                    String role = Bytes.readString(in);
                    byte[] d = new byte[Digest.LENGTH];
                    in.get(d);
                    Statement.Cohort cohort = format == FORMAT_COHORT
                            ? new Statement.Cohort(in.getLong(), in.getLong()) : null;
                    yield new Statement.Activate(role, Digest.ofBytes(d), cohort);
                }
                case FINALIZE -> new Statement.Finalize(Bytes.readString(in), in.getInt() & 0xFFFFFFFFL);
                case ANNOUNCE -> {
                    long tx = in.getLong();
                    byte[] d = new byte[Digest.LENGTH];
                    in.get(d);
                    byte[] g = new byte[4];
                    in.get(g);
                    if (!Ipv4.isMulticast(g)) {
                        throw Bytes.malformed("announced data group " + Ipv4.format(g) + " is not multicast");
                    }
                    yield new Statement.Announce(tx, Digest.ofBytes(d), Ipv4.format(g), in.getShort() & 0xFFFF,
                            in.getLong(), in.getShort() & 0xFFFF);
                }
            };
            if (in.hasRemaining()) {
                throw Bytes.malformed(in.remaining() + " trailing bytes after the statement");
            }
            return new SignedStatement.Envelope(sequence, expires, s);
        } catch (BufferUnderflowException e) {
            throw Bytes.malformed("statement is truncated");
        } catch (IllegalArgumentException e) {
            throw Bytes.malformed("statement field out of range: " + e.getMessage());
        }
    }
}
