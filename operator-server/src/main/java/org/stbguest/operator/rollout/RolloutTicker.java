package org.stbguest.operator.rollout;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Advances rollouts on a fixed delay ({@code stb.rollout-tick}), on the one instance that leads. */
@Component
class RolloutTicker {

    private static final Logger log = LoggerFactory.getLogger(RolloutTicker.class);

    private final RolloutService rollouts;
    private final org.stbguest.operator.db.Leadership leadership;

    RolloutTicker(RolloutService rollouts, org.stbguest.operator.db.Leadership leadership) {
        this.rollouts = rollouts;
        this.leadership = leadership;
    }

    @Scheduled(fixedDelayString = "${stb.rollout-tick:2s}")
    void tick() {
        if (!leadership.isLeader()) {
            return; // another instance advances the rollouts
        }
        try {
            rollouts.advance();
        } catch (RuntimeException e) {
            log.warn("event=rollout_tick_failed error={}", e.toString());
        }
    }
}
