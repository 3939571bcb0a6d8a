package org.stbguest.image;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The one canonical byte encoding of a {@link Manifest}: a fixed big-endian binary layout (see
 * {@code docs/image-format.md}). Signatures are over these bytes. Decoding is strict: every manifest has exactly one
 * encoding, so {@code encode(decode(b))} equals {@code b} for every accepted {@code b}, and anything else
 * (unknown format, trailing bytes, unsorted models, non-UTF-8 text) is rejected with {@code MALFORMED_MANIFEST}.
 */
public final class ManifestCodec {

    /** "STBM": the first four bytes of every encoded manifest. */
    public static final int MAGIC = 0x5354424D;
    /** Upper bound on an encoded manifest, checked before decoding. */
    public static final int MAX_ENCODED_SIZE = 64 + 65 * Manifest.MAX_MODELS + 32 * Manifest.MAX_CHUNKS + 128;

    private ManifestCodec() {
    }

    /** Encodes a manifest canonically. */
    public static byte[] encode(Manifest m) {
        var bytes = new ByteArrayOutputStream(96 + 32 * m.chunkDigests().size());
        try (var out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeByte(m.formatVersion());
            writeString(out, m.role());
            out.writeLong(m.version());
            out.writeInt((int) m.securityVersion());
            out.writeShort(m.hardwareModels().size());
            for (String model : m.hardwareModels()) {
                writeString(out, model);
            }
            out.writeLong(m.size());
            out.writeInt(m.chunkSize());
            out.writeInt(m.chunkDigests().size());
            for (Digest d : m.chunkDigests()) {
                out.write(d.bytes());
            }
            out.write(m.rootDigest().bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes canonical bytes.
     *
     * @throws ImageVerificationException with {@code MALFORMED_MANIFEST} for anything that is not a canonical manifest
     */
    public static Manifest decode(byte[] encoded) {
        if (encoded == null || encoded.length > MAX_ENCODED_SIZE) {
            throw malformed("manifest is " + (encoded == null ? "missing" : encoded.length + " bytes, over the limit"));
        }
        ByteBuffer in = ByteBuffer.wrap(encoded);
        try {
            int magic = in.getInt();
            if (magic != MAGIC) {
                throw malformed("not a manifest (bad magic 0x" + Integer.toHexString(magic) + ")");
            }
            int format = in.get() & 0xFF;
            if (format != Manifest.FORMAT_VERSION) {
                throw malformed("unsupported manifest format " + format);
            }
            String role = readString(in);
            long version = in.getLong();
            long securityVersion = in.getInt() & 0xFFFFFFFFL;
            int modelCount = in.getShort() & 0xFFFF;
            if (modelCount > Manifest.MAX_MODELS) {
                throw malformed(modelCount + " hardware models, over the limit " + Manifest.MAX_MODELS);
            }
            List<String> models = new ArrayList<>(modelCount);
            for (int i = 0; i < modelCount; i++) {
                models.add(readString(in));
            }
            long size = in.getLong();
            int chunkSize = in.getInt();
            int chunkCount = in.getInt();
            if (chunkCount < 0 || chunkCount > Manifest.MAX_CHUNKS || (long) chunkCount * Digest.LENGTH > in.remaining()) {
                throw malformed("chunk count " + Integer.toUnsignedString(chunkCount) + " does not fit the manifest");
            }
            List<Digest> chunks = new ArrayList<>(chunkCount);
            byte[] raw = new byte[Digest.LENGTH];
            for (int i = 0; i < chunkCount; i++) {
                in.get(raw);
                chunks.add(Digest.ofBytes(raw));
            }
            in.get(raw);
            Digest root = Digest.ofBytes(raw);
            if (in.hasRemaining()) {
                throw malformed(in.remaining() + " trailing bytes after the manifest");
            }
            return new Manifest(format, role, version, securityVersion, models, size, chunkSize, chunks, root);
        } catch (BufferUnderflowException e) {
            throw malformed("manifest is truncated");
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeByte(b.length);
        out.write(b);
    }

    private static String readString(ByteBuffer in) {
        int len = in.get() & 0xFF;
        if (len > in.remaining()) {
            throw new BufferUnderflowException();
        }
        ByteBuffer slice = in.slice();
        slice.limit(len);
        in.position(in.position() + len);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw malformed("text field is not valid UTF-8");
        }
    }

    private static ImageVerificationException malformed(String message) {
        return new ImageVerificationException(ImageVerificationException.Reason.MALFORMED_MANIFEST, message);
    }
}
