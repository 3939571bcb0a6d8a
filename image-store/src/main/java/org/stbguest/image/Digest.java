package org.stbguest.image;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 digest, held as 64 lowercase hex characters so that it compares by value and prints readably.
 * It names chunks in the store and whole images (the manifest's root digest).
 */
public record Digest(@JsonValue String hex) implements Comparable<Digest> {

    /** Length of a SHA-256 digest in bytes. */
    public static final int LENGTH = 32;

    private static final HexFormat HEX = HexFormat.of();

    public Digest {
        if (hex == null || hex.length() != LENGTH * 2 || !hex.chars().allMatch(Digest::isLowerHex)) {
            throw new IllegalArgumentException("digest must be 64 lowercase hex characters, got: " + abbreviate(hex));
        }
    }

    /** Parses a digest from hex, accepting either case. */
    @JsonCreator
    public static Digest parse(String hex) {
        return new Digest(hex == null ? null : hex.toLowerCase(java.util.Locale.ROOT));
    }

    /** Wraps 32 raw bytes. */
    public static Digest ofBytes(byte[] raw) {
        if (raw.length != LENGTH) {
            throw new IllegalArgumentException("digest must be " + LENGTH + " bytes, got " + raw.length);
        }
        return new Digest(HEX.formatHex(raw));
    }

    /** SHA-256 of the given bytes. */
    public static Digest sha256(byte[] data) {
        return sha256(data, 0, data.length);
    }

    /** SHA-256 of a slice of the given bytes. */
    public static Digest sha256(byte[] data, int offset, int length) {
        MessageDigest md = newSha256();
        md.update(data, offset, length);
        return ofBytes(md.digest());
    }

    /** A fresh SHA-256 {@link MessageDigest}; SHA-256 is mandatory in every JDK. */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /** The 32 raw bytes. */
    public byte[] bytes() {
        return HEX.parseHex(hex);
    }

    /** The first 12 hex characters, for logs and screens. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    @Override
    public int compareTo(Digest other) {
        return hex.compareTo(other.hex);
    }

    @Override
    public String toString() {
        return hex;
    }

    private static boolean isLowerHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "null";
        }
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
