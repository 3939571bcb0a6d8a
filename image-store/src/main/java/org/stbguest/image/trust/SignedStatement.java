package org.stbguest.image.trust;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.stbguest.image.DetachedSignature;
import org.stbguest.image.Signer;

/**
 * A director statement as it travels: canonical bytes of (sequence, expiry, statement) and the director's
 * signatures. Boxes verify it with {@link BoxTrust}.
 */
public record SignedStatement(String statementBase64, List<DetachedSignature> signatures) {

    /** The signed content: a statement, its sequence number and its expiry. */
    public record Envelope(long sequence, Instant expires, Statement statement) {
        public Envelope {
            if (sequence < 1 || expires == null || statement == null) {
                throw Bytes.malformed("a statement needs a sequence >= 1, an expiry and a body");
            }
            if (expires.getEpochSecond() < 0 || expires.getEpochSecond() > Bytes.MAX_EPOCH_SECOND) {
                throw Bytes.malformed("statement expiry must be within 1970..9999");
            }
            expires = Instant.ofEpochSecond(expires.getEpochSecond());
        }
    }

    public SignedStatement {
        if (statementBase64 == null || statementBase64.isBlank()) {
            throw new IllegalArgumentException("statement bytes are required");
        }
        signatures = signatures == null ? List.of() : List.copyOf(signatures);
    }

    /** Signs a statement. */
    public static SignedStatement sign(Envelope envelope, Signer... signers) {
        byte[] bytes = StatementCodec.encode(envelope);
        List<DetachedSignature> sigs = new ArrayList<>();
        for (Signer s : signers) {
            sigs.add(DetachedSignature.of(s.keyId(), s.sign(bytes)));
        }
        return new SignedStatement(Base64.getEncoder().encodeToString(bytes), sigs);
    }

    public byte[] bytes() {
        try {
            return Base64.getDecoder().decode(statementBase64);
        } catch (IllegalArgumentException e) {
            throw Bytes.malformed("statement is not valid base64");
        }
    }

    /** Decodes without checking anything: for display only. */
    public Envelope unverified() {
        return StatementCodec.decode(bytes());
    }
}
