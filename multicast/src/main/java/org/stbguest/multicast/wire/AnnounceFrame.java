package org.stbguest.multicast.wire;

import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.Statement;

/**
 * A director-signed statement on the control group: an announcement of which image is on the air and where, or an
 * activation (a wave's, or a rollback's) that boxes should act on without waiting for their next check-in. The
 * codec only parses it; a box verifies the signatures, expiry and sequence number with its {@code BoxTrust} before
 * acting. An announcement only makes it check in at once (what it stages is decided by its check-in and the signed
 * manifest); a verified activation makes it switch slots if it is meant and a slot holds the image.
 *
 * @param transmissionId the announced transmission, or 0 for a statement of another kind
 */
public record AnnounceFrame(long transmissionId, SignedStatement statement) implements Frame {

    public AnnounceFrame {
        if (statement == null) {
            throw new IllegalArgumentException("statement is required");
        }
    }

    /** Wraps a signed statement: an announcement or an activation (a finalize waits for the check-in). */
    public static AnnounceFrame of(SignedStatement statement) {
        Statement s = statement.unverified().statement();
        return switch (s.kind()) {
            case ANNOUNCE -> new AnnounceFrame(((Statement.Announce) s).transmissionId(), statement);
            case ACTIVATE -> new AnnounceFrame(0, statement);
            case FINALIZE -> throw new IllegalArgumentException("a finalize statement is not sent on the control group");
        };
    }

    @Override
    public Kind kind() {
        return Kind.ANNOUNCE;
    }
}
