package org.stbguest.image.trust;

import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.ImageVerificationException.Reason;
import org.stbguest.image.Manifest;
import org.stbguest.image.SignedManifest;

/**
 * Everything a box checks before it trusts signed metadata. It starts from a pinned key set and follows rotations;
 * it verifies manifests against the current release keys and threshold, the hardware model and the security floor;
 * it accepts director statements only when signed by the director threshold, unexpired on the box's clock, and
 * newer than anything seen on their stream (so a replay of an old rollback or announcement is refused). Expired key
 * sets freeze nothing in: a box whose key set has expired accepts no new image or statement until it gets a fresh
 * one. Thread-safe.
 */
public final class BoxTrust {

    /** What a box persists between restarts. */
    public record State(SignedKeySet keySet, Map<String, Long> sequences, Map<String, String> lastStatements) {
        public State {
            sequences = Map.copyOf(sequences);
            lastStatements = Map.copyOf(lastStatements);
        }
    }

    private final InstantSource clock;
    private SignedKeySet signedKeySet;
    private KeySet keySet;
    private final Map<String, Long> sequences = new HashMap<>();
    private final Map<String, String> lastStatements = new HashMap<>();

    private BoxTrust(SignedKeySet anchor, InstantSource clock) {
        this.clock = clock;
        this.keySet = KeySetChain.anchor(anchor);
        this.signedKeySet = anchor;
    }

    /** A box that trusts exactly the pinned key set (its factory trust anchor). */
    public static BoxTrust pinned(SignedKeySet anchor, InstantSource clock) {
        return new BoxTrust(anchor, clock);
    }

    /** Restores persisted state; the stored key set must still be signed by a threshold of its own root keys. */
    public static BoxTrust restore(State state, InstantSource clock) {
        BoxTrust t = new BoxTrust(state.keySet(), clock);
        t.sequences.putAll(state.sequences());
        t.lastStatements.putAll(state.lastStatements());
        return t;
    }

    public synchronized State state() {
        return new State(signedKeySet, sequences, lastStatements);
    }

    public synchronized KeySet keySet() {
        return keySet;
    }

    /** Follows any newer key sets in {@code chain}; refuses the whole update on the first bad link. */
    public synchronized KeySet update(List<SignedKeySet> chain) {
        KeySet k = keySet;
        SignedKeySet last = signedKeySet;
        for (SignedKeySet s : chain) {
            if (s.unverified().version() <= k.version()) {
                continue;
            }
            k = KeySetChain.next(k, s, clock.instant());
            last = s;
        }
        keySet = k;
        signedKeySet = last;
        return k;
    }

    /**
     * Verifies a manifest for this box: release-key threshold, role, hardware model, and not below {@code floor}.
     */
    public synchronized Manifest verifyManifest(SignedManifest signed, String role, String model, long floor) {
        requireFresh();
        Manifest m = keySet.manifestVerifier().verifyFor(signed, role, model);
        if (m.securityVersion() < floor) {
            throw new ImageVerificationException(Reason.BELOW_SECURITY_FLOOR, "image " + m.role() + " v" + m.version()
                    + " has security version " + m.securityVersion() + ", below this box's floor " + floor);
        }
        return m;
    }

    /**
     * Verifies a director statement and records its sequence number.
     *
     * @return the statement when it is new; empty when it is exactly the last statement already accepted on its stream
     * @throws ImageVerificationException {@code INSUFFICIENT_SIGNATURES}, {@code EXPIRED}, {@code REPLAYED} or
     *                                    {@code MALFORMED_METADATA}
     */
    public synchronized Optional<Statement> accept(SignedStatement signed) {
        requireFresh();
        byte[] bytes = signed.bytes();
        SignedStatement.Envelope e = StatementCodec.decode(bytes);
        int valid = keySet.director().countValid(bytes, signed.signatures());
        if (valid < keySet.director().threshold()) {
            throw new ImageVerificationException(Reason.INSUFFICIENT_SIGNATURES, e.statement().kind()
                    + " statement #" + e.sequence() + " has " + valid + " valid director signature(s), "
                    + keySet.director().threshold() + " required");
        }
        Instant now = clock.instant();
        if (!now.isBefore(e.expires())) {
            throw new ImageVerificationException(Reason.EXPIRED, e.statement().kind() + " statement #" + e.sequence()
                    + " expired at " + e.expires());
        }
        String stream = e.statement().sequenceKey();
        long last = sequences.getOrDefault(stream, 0L);
        String digest = Digest.sha256(bytes).hex();
        if (e.sequence() == last && digest.equals(lastStatements.get(stream))) {
            return Optional.empty();
        }
        if (e.sequence() <= last) {
            throw new ImageVerificationException(Reason.REPLAYED, e.statement().kind() + " statement #" + e.sequence()
                    + " is not newer than #" + last + " already accepted");
        }
        sequences.put(stream, e.sequence());
        lastStatements.put(stream, digest);
        return Optional.of(e.statement());
    }

    private void requireFresh() {
        if (keySet.expiredAt(clock.instant())) {
            throw new ImageVerificationException(Reason.EXPIRED, "trusted key set v" + keySet.version()
                    + " expired at " + keySet.expires() + "; a newer key set is needed");
        }
    }
}
