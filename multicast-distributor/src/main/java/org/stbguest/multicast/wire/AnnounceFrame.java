package org.stbguest.multicast.wire;

import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.Statement;

/**
 * A director-signed announcement on the control group: which image is on the air and where. The codec only parses
 * it; a box verifies the signatures, expiry and sequence number with its {@code BoxTrust} before acting, and even
 * then only checks in at once: what it stages is decided by its check-in and the signed manifest.
 */
public record AnnounceFrame(long transmissionId, SignedStatement statement) implements Frame {

    public AnnounceFrame {
        if (statement == null) {
            throw new IllegalArgumentException("statement is required");
        }
    }

    /** Wraps a signed announce statement. */
    public static AnnounceFrame of(SignedStatement statement) {
        Statement s = statement.unverified().statement();
        if (s.kind() != Statement.Kind.ANNOUNCE) {
            throw new IllegalArgumentException("not an announce statement: " + s.kind());
        }
        return new AnnounceFrame(((Statement.Announce) s).transmissionId(), statement);
    }

    @Override
    public Kind kind() {
        return Kind.ANNOUNCE;
    }
}
