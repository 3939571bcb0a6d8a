package org.stbguest.operator.rollout;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Advances rollouts on a fixed delay ({@code stb.rollout-tick}). */
@Component
class RolloutTicker {

    private static final Logger log = LoggerFactory.getLogger(RolloutTicker.class);

    private final RolloutService rollouts;

    RolloutTicker(RolloutService rollouts) {
        this.rollouts = rollouts;
    }

    @Scheduled(fixedDelayString = "${stb.rollout-tick:2s}")
    void tick() {
        try {
            rollouts.advance();
        } catch (RuntimeException e) {
            log.warn("event=rollout_tick_failed error={}", e.toString());
        }
    }
}
