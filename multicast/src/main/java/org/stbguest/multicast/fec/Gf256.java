package org.stbguest.multicast.fec;

/**
 * Arithmetic in GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D). Addition is XOR; multiplication uses
 * log/exp tables, and whole symbols are multiplied by a constant through a 256-entry row of a full product table, so
 * the inner loop is one lookup and one XOR per byte.
 */
public final class Gf256 {

    private static final int[] EXP = new int[512];
    private static final int[] LOG = new int[256];
    /** MUL[a][b] = a * b. 64 KiB, shared. */
    static final byte[][] MUL = new byte[256][256];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= 0x11D;
            }
        }
        for (int i = 255; i < 512; i++) {
            EXP[i] = EXP[i - 255];
        }
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                MUL[a][b] = (byte) mulSlow(a, b);
            }
        }
    }

    private Gf256() {
    }

    private static int mulSlow(int a, int b) {
        return a == 0 || b == 0 ? 0 : EXP[LOG[a] + LOG[b]];
    }

    /** a * b. */
    public static int mul(int a, int b) {
        return MUL[a][b] & 0xFF;
    }

    /** The multiplicative inverse of a non-zero element. */
    public static int inverse(int a) {
        if (a == 0) {
            throw new ArithmeticException("0 has no inverse in GF(256)");
        }
        return EXP[255 - LOG[a]];
    }

    /** dst[0..len) ^= c * src[0..len). */
    public static void mulAdd(byte[] dst, byte[] src, int c, int len) {
        if (c == 0) {
            return;
        }
        if (c == 1) {
            for (int i = 0; i < len; i++) {
                dst[i] ^= src[i];
            }
            return;
        }
        byte[] row = MUL[c];
        for (int i = 0; i < len; i++) {
            dst[i] ^= row[src[i] & 0xFF];
        }
    }

    /** buf[0..len) *= c. */
    public static void scale(byte[] buf, int c, int len) {
        byte[] row = MUL[c];
        for (int i = 0; i < len; i++) {
            buf[i] = row[buf[i] & 0xFF];
        }
    }
}
