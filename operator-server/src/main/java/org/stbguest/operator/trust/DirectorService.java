package org.stbguest.operator.trust;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.DetachedSignature;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.Statement;
import org.stbguest.image.trust.StatementCodec;
import org.stbguest.operator.StbProperties;

/**
 * Issues director statements: each gets the next sequence number from the database, an expiry, and the director's
 * signature. Boxes act only on statements they can verify, so the server's authenticated channel alone can never
 * make a box switch images or raise its floor. Statements nearing expiry are re-signed with a new sequence number.
 */
@Service
public class DirectorService {

    private static final Logger log = LoggerFactory.getLogger(DirectorService.class);

    private final StatementRepository statements;
    private final ServerKeys keys;
    private final Clock clock;
    private final Duration validity;
    private final Duration broadcastFor;

    DirectorService(StatementRepository statements, ServerKeys keys, Clock clock, StbProperties props) {
        this.statements = statements;
        this.keys = keys;
        this.clock = clock;
        this.validity = props.keys().statementValidity();
        this.broadcastFor = props.broadcastFor();
    }

    /** Signs and stores a statement; it becomes the newest of its stream. */
    @Transactional
    public SignedStatement issue(Statement statement) {
        return issue(statement, null);
    }

    /**
     * Signs and stores a statement that the distributor also repeats on the control group for {@code broadcastFor}
     * (null: only check-ins carry it), so boxes act on it without a round trip.
     */
    @Transactional
    public SignedStatement issue(Statement statement, Duration broadcastFor) {
        Instant now = clock.instant();
        StatementEntity e = statements.saveAndFlush(new StatementEntity(statement.sequenceKey(),
                statement.kind().name(), now.plus(validity), now));
        if (broadcastFor != null) {
            e.broadcastUntil(now.plus(broadcastFor));
        }
        var envelope = new SignedStatement.Envelope(e.sequence(), e.expiresAt(), statement);
        SignedStatement signed = SignedStatement.sign(envelope, keys.directorSigner());
        e.sealed(signed.bytes(), DeviceApiJson.signaturesToJson(signed.signatures()));
        log.info("event=statement_issued sequence={} stream={}", e.sequence(), e.stream());
        return signed;
    }

    /**
     * Signs what a rollout decided, in the transaction that decided it (so the decision and its statement commit
     * together): a wave's activation for its cohort, a rollback's activation of the previous image for every box, a
     * finalize.
     */
    @org.springframework.transaction.event.TransactionalEventListener(
            phase = org.springframework.transaction.event.TransactionPhase.BEFORE_COMMIT, fallbackExecution = true)
    public void on(org.stbguest.operator.events.RolloutEvent event) {
        // Java 17 has no pattern switch: the kinds that concern the director, the others sign nothing
        if (event instanceof org.stbguest.operator.events.RolloutEvent.WaveStarted w) {
            issue(new Statement.Activate(w.role(), org.stbguest.image.Digest.parse(w.imageDigest()),
                    w.cohortBound() >= Statement.Cohort.ALL ? null
                            : new Statement.Cohort(w.cohortSeed(), w.cohortBound())), broadcastFor);
        } else if (event instanceof org.stbguest.operator.events.RolloutEvent.RollbackOrdered b) {
            issue(new Statement.Activate(b.role(), org.stbguest.image.Digest.parse(b.previousDigest())), broadcastFor);
        } else if (event instanceof org.stbguest.operator.events.RolloutEvent.RolloutFinalized f) {
            issue(new Statement.Finalize(f.role(), f.securityFloor()));
        }
    }

    /** The activations to repeat on the control group now: the newest of each stream still in its window. */
    @Transactional(readOnly = true)
    public List<SignedStatement> broadcasts() {
        return statements.broadcastNow(clock.instant()).stream().map(DirectorService::signed).toList();
    }

    /** One statement by sequence number. */
    @Transactional(readOnly = true)
    public SignedStatement get(long sequence) {
        return statements.findById(sequence).map(DirectorService::signed)
                .orElseThrow(() -> new IllegalArgumentException("no statement #" + sequence));
    }

    /** The newest statement of each stream, oldest first (the order a box applies them in). */
    @Transactional(readOnly = true)
    public List<SignedStatement> latest(Collection<String> streams) {
        if (streams.isEmpty()) {
            return List.of();
        }
        return statements.latestOf(streams).stream().map(DirectorService::signed).toList();
    }

    /** A statement with its stream and sequence number. */
    public record Sequenced(String stream, long sequence, SignedStatement signed) {
    }

    /** The newest statement of each of {@code streams}, with sequence numbers. */
    @Transactional(readOnly = true)
    public List<Sequenced> latestSequenced(Collection<String> streams) {
        if (streams.isEmpty()) {
            return List.of();
        }
        return statements.latestOf(streams).stream()
                .map(e -> new Sequenced(e.stream(), e.sequence(), signed(e))).toList();
    }

    /**
     * Re-signs, with new sequence numbers, the newest activate and finalize statements that have used up half their
     * validity.
     */
    @Transactional
    public void renewExpiring() {
        Instant now = clock.instant();
        for (StatementEntity e : statements.latestOfEveryStream()) {
            if (Statement.Kind.ANNOUNCE.name().equals(e.kind())) {
                continue; // announcements live with their transmission; boxes also learn of it at check-in
            }
            Duration left = Duration.between(now, e.expiresAt());
            Duration lived = Duration.between(e.createdAt(), e.expiresAt());
            if (left.compareTo(lived.dividedBy(2)) < 0) {
                issue(StatementCodec.decode(e.content()).statement());
            }
        }
    }

    private static SignedStatement signed(StatementEntity e) {
        return new SignedStatement(Base64.getEncoder().encodeToString(e.content()),
                DeviceApiJson.signaturesFromJson(e.signatures()));
    }
}
