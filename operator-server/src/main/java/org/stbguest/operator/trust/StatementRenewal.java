package org.stbguest.operator.trust;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.stbguest.operator.db.Leadership;

/** Renews expiring statements on a fixed delay ({@code stb.rollout-tick}), on the one instance that leads. */
@Component
class StatementRenewal {

    private static final Logger log = LoggerFactory.getLogger(StatementRenewal.class);

    private final DirectorService director;
    private final Leadership leadership;

    StatementRenewal(DirectorService director, Leadership leadership) {
        this.director = director;
        this.leadership = leadership;
    }

    @Scheduled(fixedDelayString = "${stb.rollout-tick:2s}")
    void tick() {
        if (!leadership.isLeader()) {
            return; // another instance renews
        }
        try {
            director.renewExpiring();
        } catch (RuntimeException e) {
            log.warn("event=statement_renewal_failed error={}", e.toString());
        }
    }
}
