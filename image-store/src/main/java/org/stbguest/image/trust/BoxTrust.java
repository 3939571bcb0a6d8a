package org.stbguest.image.trust;

import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.KeyId;
import org.stbguest.image.ImageVerificationException.Reason;
import org.stbguest.image.Manifest;
import org.stbguest.image.SignedManifest;

/**
 * Everything a box checks before it trusts signed metadata. It starts from a pinned key set and follows rotations;
 * it verifies manifests against the current release keys and threshold, the hardware model and the security floor;
 * it accepts director statements only when signed by the director threshold, unexpired on the box's clock, and
 * newer than anything seen on their stream from the same director key (so a replay of an old rollback or
 * announcement is refused, and a stolen director key blocks nothing once a rotation has removed it). Expired key
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

    /** Separates the director key id from the stream in a sequence key. */
    private static final String SCOPE = "/";
    /** Announcement streams kept per director key. */
    static final int MAX_ANNOUNCE_STREAMS = 64;

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

    /**
     * Restores persisted state; the stored key set must still be signed by a threshold of its own root keys. State
     * written before sequences were scoped per director key (keys without a key id) is kept conservatively: each old
     * stream's number applies to every director key of the stored key set.
     */
    public static BoxTrust restore(State state, InstantSource clock) {
        BoxTrust t = new BoxTrust(state.keySet(), clock);
        for (var en : state.sequences().entrySet()) {
            if (en.getKey().contains(SCOPE)) {
                t.sequences.put(en.getKey(), en.getValue());
                String last = state.lastStatements().get(en.getKey());
                if (last != null) {
                    t.lastStatements.put(en.getKey(), last);
                }
            } else {
                for (KeyId k : t.keySet.director().byId().keySet()) {
                    t.sequences.merge(scoped(k, en.getKey()), en.getValue(), Math::max);
                    String last = state.lastStatements().get(en.getKey());
                    if (last != null) {
                        t.lastStatements.put(scoped(k, en.getKey()), last);
                    }
                }
            }
        }
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
     * <p>Sequence numbers are scoped per director key: each key that validly signed a statement has its own "last
     * sequence" per stream, and a statement must be newer than the last one every one of its valid signers put on
     * that stream. A stolen director key that signs a statement numbered {@code Long.MAX_VALUE} therefore blocks only
     * its own scope; once a key-set rotation removes the key, its signatures no longer count, and statements of the
     * new key (a fresh scope) are accepted, while the new key's own replays are still refused.
     *
     * @return the statement when it is new; empty when it is exactly the last statement already accepted on its stream
     * @throws ImageVerificationException {@code INSUFFICIENT_SIGNATURES}, {@code EXPIRED}, {@code REPLAYED} or
     *                                    {@code MALFORMED_METADATA}
     */
    public synchronized Optional<Statement> accept(SignedStatement signed) {
        requireFresh();
        byte[] bytes = signed.bytes();
        SignedStatement.Envelope e = StatementCodec.decode(bytes);
        Set<KeyId> signers = keySet.director().validSigners(bytes, signed.signatures());
        if (signers.size() < keySet.director().threshold()) {
            throw new ImageVerificationException(Reason.INSUFFICIENT_SIGNATURES, e.statement().kind()
                    + " statement #" + e.sequence() + " has " + signers.size() + " valid director signature(s), "
                    + keySet.director().threshold() + " required");
        }
        Instant now = clock.instant();
        if (!now.isBefore(e.expires())) {
            throw new ImageVerificationException(Reason.EXPIRED, e.statement().kind() + " statement #" + e.sequence()
                    + " expired at " + e.expires());
        }
        String stream = e.statement().sequenceKey();
        String digest = Digest.sha256(bytes).hex();
        boolean seenByAll = true;
        for (KeyId k : signers) {
            String key = scoped(k, stream);
            long last = sequences.getOrDefault(key, 0L);
            boolean same = e.sequence() == last && digest.equals(lastStatements.get(key));
            if (!same && e.sequence() <= last) {
                throw new ImageVerificationException(Reason.REPLAYED, e.statement().kind() + " statement #"
                        + e.sequence() + " is not newer than #" + last + " already accepted from director key " + k);
            }
            seenByAll &= same;
        }
        if (seenByAll) {
            return Optional.empty();
        }
        for (KeyId k : signers) {
            sequences.put(scoped(k, stream), e.sequence());
            lastStatements.put(scoped(k, stream), digest);
        }
        if (e.statement() instanceof Statement.Announce) {
            forgetOldAnnouncements(signers);
        }
        return Optional.of(e.statement());
    }

    /** The last sequence number accepted on a stream from any current director key (0 when none). */
    public synchronized long lastSequence(String stream) {
        long last = 0;
        for (KeyId k : keySet.director().byId().keySet()) {
            last = Math.max(last, sequences.getOrDefault(scoped(k, stream), 0L));
        }
        return last;
    }

    /**
     * The last sequence number accepted on every activate and finalize stream from a current director key: what a
     * box tells the server at check-in, so that the answer leaves out what the box already has. Announcements are
     * left out (they come on the control group).
     */
    public synchronized Map<String, Long> lastSequences() {
        Set<String> current = new java.util.HashSet<>();
        keySet.director().byId().keySet().forEach(k -> current.add(k.hex()));
        Map<String, Long> out = new java.util.TreeMap<>();
        for (var en : sequences.entrySet()) {
            int at = en.getKey().indexOf(SCOPE);
            if (at < 0 || !current.contains(en.getKey().substring(0, at))) {
                continue;
            }
            String stream = en.getKey().substring(at + SCOPE.length());
            if (!stream.startsWith(Statement.Kind.ANNOUNCE + ":")) {
                out.merge(stream, en.getValue(), Math::max);
            }
        }
        return out;
    }

    /**
     * Announcement streams are one per transmission, so they would pile up for ever (and a stolen key could pile
     * them up at will): each director key keeps only its newest {@link #MAX_ANNOUNCE_STREAMS}. Forgetting an old
     * transmission's stream lets its announcements through again, which costs a box one early check-in: an
     * announcement is only a hint.
     */
    private void forgetOldAnnouncements(Set<KeyId> signers) {
        for (KeyId k : signers) {
            String prefix = k.hex() + SCOPE + Statement.Kind.ANNOUNCE + ":";
            var announce = sequences.entrySet().stream().filter(en -> en.getKey().startsWith(prefix))
                    .sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList();
            for (int i = 0; i < announce.size() - MAX_ANNOUNCE_STREAMS; i++) {
                sequences.remove(announce.get(i));
                lastStatements.remove(announce.get(i));
            }
        }
    }

    /** The key under which one director key's sequence on one stream is kept. */
    static String scoped(KeyId key, String stream) {
        return key.hex() + SCOPE + stream;
    }

    private void requireFresh() {
        if (keySet.expiredAt(clock.instant())) {
            throw new ImageVerificationException(Reason.EXPIRED, "trusted key set v" + keySet.version()
                    + " expired at " + keySet.expires() + "; a newer key set is needed");
        }
    }
}
