package org.stbguest.image.trust;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.stbguest.image.ImageVerificationException;

/** Helpers for the strict binary codecs of signed metadata. */
final class Bytes {

    private Bytes() {
    }

    static String readString(ByteBuffer in) {
        int len = in.get() & 0xFF;
        if (len > in.remaining()) {
            throw new BufferUnderflowException();
        }
        ByteBuffer slice = in.slice();
        slice.limit(len);
        in.position(in.position() + len);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw malformed("text field is not valid UTF-8");
        }
    }

    static void writeString(ByteBuffer out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 255) {
            throw new IllegalArgumentException("text field longer than 255 bytes");
        }
        out.put((byte) b.length).put(b);
    }

    /** Latest expiry accepted: the end of year 9999. */
    static final long MAX_EPOCH_SECOND = 253_402_300_799L;

    /** Reads an expiry (i64 epoch seconds), refusing values outside 1970..9999. */
    static java.time.Instant readExpiry(ByteBuffer in) {
        long seconds = in.getLong();
        if (seconds < 0 || seconds > MAX_EPOCH_SECOND) {
            throw malformed("expiry " + seconds + " is outside 1970..9999");
        }
        return java.time.Instant.ofEpochSecond(seconds);
    }

    static ImageVerificationException malformed(String message) {
        return new ImageVerificationException(ImageVerificationException.Reason.MALFORMED_METADATA, message);
    }
}
