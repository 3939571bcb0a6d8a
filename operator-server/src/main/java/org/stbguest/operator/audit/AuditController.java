package org.stbguest.operator.audit;

import java.time.Instant;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Read access to the audit log for operators. */
@RestController
@RequestMapping("/api/audit")
class AuditController {

    record AuditView(long id, String actor, String action, String target, String detail, Instant occurredAt) {
    }

    private final AuditLog audit;

    AuditController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping
    List<AuditView> recent(@RequestParam(defaultValue = "100") int limit) {
        return audit.recent(limit).stream().map(e -> new AuditView(e.getId(), e.getActor(), e.getAction(),
                e.getTarget(), e.getDetail(), e.getOccurredAt())).toList();
    }
}
