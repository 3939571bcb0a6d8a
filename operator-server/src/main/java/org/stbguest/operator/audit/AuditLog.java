package org.stbguest.operator.audit;

import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** Records every operator action; joins the caller's transaction so an action and its audit row commit together. */
@Service
public class AuditLog {

    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    private final AuditEventRepository repository;
    private final Clock clock;

    AuditLog(AuditEventRepository repository, Clock clock) {
        this.repository = repository;
        this.clock = clock;
    }

    /** Records an action by {@code actor} on {@code target}. Never pass secrets in {@code detail}. */
    @Transactional(propagation = Propagation.REQUIRED)
    public void record(String actor, String action, String target, String detail) {
        repository.save(new AuditEvent(cut(actor, 128), cut(action, 64), cut(target, 256), cut(detail, 2000),
                clock.instant()));
        log.info("event=audit actor={} action={} target={}", actor, action, target);
    }

    /**
     * Records a refusal: in its own transaction, so it stays in the log when the refused request's transaction rolls
     * back.
     */
    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public void recordRefusal(String actor, String action, String target, String detail) {
        record(actor, action, target, detail);
    }

    /** Every rollout decision lands in the audit, with its actor (an operator, {@code system} or {@code guard}). */
    @org.springframework.transaction.event.TransactionalEventListener(
            phase = org.springframework.transaction.event.TransactionPhase.BEFORE_COMMIT, fallbackExecution = true)
    public void on(org.stbguest.operator.events.RolloutEvent e) {
        String action = "rollout." + switch (e.getClass().getSimpleName()) {
            case "RolloutStarted" -> "start";
            case "WaveStarted" -> "wave";
            case "RolloutCompleted" -> "complete";
            case "RolloutHalted" -> "halt";
            case "RollbackOrdered" -> "rollback";
            case "RolloutAborted" -> "abort";
            case "RolloutPaused" -> "pause";
            case "RolloutFinalized" -> "finalize";
            default -> e.getClass().getSimpleName();
        };
        record(e.actor(), action, "rollout/" + e.rolloutId(), e.toString());
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    /** The most recent events, newest first. */
    @Transactional(readOnly = true)
    public List<AuditEvent> recent(int limit) {
        return repository.findAll(PageRequest.of(0, Math.max(1, Math.min(limit, 1000)),
                Sort.by(Sort.Direction.DESC, "id"))).getContent();
    }
}
