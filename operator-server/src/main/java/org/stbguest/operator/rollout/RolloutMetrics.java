package org.stbguest.operator.rollout;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * {@code stb.rollouts{state=...}}: how many rollouts are in each state, read from the database at most every five
 * seconds however often the metrics are scraped (so every instance reports the fleet's figure, not its own).
 */
@Component
class RolloutMetrics implements MeterBinder {

    private static final long MAX_AGE_NANOS = 5_000_000_000L;

    private final JdbcTemplate jdbc;
    private Map<RolloutState, Long> counts = new EnumMap<>(RolloutState.class);
    private long readAt;

    RolloutMetrics(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (RolloutState state : RolloutState.values()) {
            Gauge.builder("stb.rollouts", this, m -> m.count(state)).tag("state", state.name())
                    .description("rollouts in each state").register(registry);
        }
    }

    private synchronized double count(RolloutState state) {
        if (readAt == 0 || System.nanoTime() - readAt > MAX_AGE_NANOS) {
            Map<RolloutState, Long> fresh = new EnumMap<>(RolloutState.class);
            try {
                jdbc.query("select state, count(*) from rollout group by state",
                        rs -> {
                            fresh.put(RolloutState.valueOf(rs.getString(1)), rs.getLong(2));
                        });
                counts = fresh;
                readAt = System.nanoTime();
            } catch (RuntimeException e) {
                return Double.NaN; // the database is down: no figure rather than a stale one
            }
        }
        return counts.getOrDefault(state, 0L);
    }
}
