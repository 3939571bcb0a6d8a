package org.stbguest.image.trust;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.stbguest.image.Ed25519;
import org.stbguest.image.KeyId;

/**
 * Canonical bytes of a {@link KeySet} (see {@code docs/image-format.md}): magic {@code STKS}, format 1, version (u64),
 * expiry (i64 epoch seconds), then root, release and director keys, each as threshold (u8), count (u8) and raw
 * 32-byte Ed25519 keys in key-id order. Decoding is strict: one key set, one encoding.
 */
public final class KeySetCodec {

    /** "STKS". */
    public static final int MAGIC = 0x53544B53;
    /** The only format. */
    public static final int FORMAT = 1;
    /** Largest possible encoding. */
    public static final int MAX_SIZE = 4 + 1 + 8 + 8 + 3 * (2 + 32 * RoleKeys.MAX_KEYS);

    private KeySetCodec() {
    }

    public static byte[] encode(KeySet k) {
        ByteBuffer out = ByteBuffer.allocate(MAX_SIZE);
        out.putInt(MAGIC).put((byte) FORMAT).putLong(k.version()).putLong(k.expires().getEpochSecond());
        for (TrustRole role : TrustRole.values()) {
            RoleKeys rk = k.keys(role);
            out.put((byte) rk.threshold()).put((byte) rk.keys().size());
            for (PublicKey key : rk.keys()) {
                out.put(Ed25519.rawPublicKey(key));
            }
        }
        byte[] b = new byte[out.position()];
        out.flip().get(b);
        return b;
    }

    public static KeySet decode(byte[] bytes) {
        if (bytes == null || bytes.length > MAX_SIZE) {
            throw Bytes.malformed("key set is missing or too large");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.getInt() != MAGIC) {
                throw Bytes.malformed("not a key set (bad magic)");
            }
            int format = in.get() & 0xFF;
            if (format != FORMAT) {
                throw Bytes.malformed("unsupported key set format " + format);
            }
            long version = in.getLong();
            Instant expires = Bytes.readExpiry(in);
            RoleKeys[] roles = new RoleKeys[3];
            for (int r = 0; r < 3; r++) {
                int threshold = in.get() & 0xFF;
                int count = in.get() & 0xFF;
                if (count > RoleKeys.MAX_KEYS) {
                    throw Bytes.malformed("too many keys in one role: " + count);
                }
                List<PublicKey> keys = new ArrayList<>(count);
                String previous = "";
                for (int i = 0; i < count; i++) {
                    byte[] raw = new byte[32];
                    in.get(raw);
                    PublicKey key;
                    try {
                        key = Ed25519.publicKey(raw);
                    } catch (IllegalArgumentException e) {
                        throw Bytes.malformed("invalid Ed25519 public key in key set");
                    }
                    String id = KeyId.of(key).hex();
                    if (id.compareTo(previous) <= 0) {
                        throw Bytes.malformed("keys must be in key-id order and distinct");
                    }
                    previous = id;
                    keys.add(key);
                }
                roles[r] = new RoleKeys(threshold, keys);
            }
            if (in.hasRemaining()) {
                throw Bytes.malformed(in.remaining() + " trailing bytes after the key set");
            }
            return new KeySet(version, expires, roles[0], roles[1], roles[2]);
        } catch (BufferUnderflowException e) {
            throw Bytes.malformed("key set is truncated");
        }
    }
}
