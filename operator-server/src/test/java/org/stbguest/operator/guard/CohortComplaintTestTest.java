package org.stbguest.operator.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The guard's sequential test, event by event. */
class CohortComplaintTestTest {

    private final GuardSettings settings = GuardSettings.DEFAULTS;

    @Test
    void anEventFromTheNewCohortIsEvidenceOfARegressionAndOneFromTheOldAgainst() {
        assertThat(CohortComplaintTest.logLikelihoodRatio(true, 0.05, 2)).isPositive();
        assertThat(CohortComplaintTest.logLikelihoodRatio(false, 0.05, 2)).isNegative();
        // p1 = 2 * 0.05 / (2 * 0.05 + 0.95)
        double p1 = 0.1 / 1.05;
        assertThat(CohortComplaintTest.logLikelihoodRatio(true, 0.05, 2)).isCloseTo(Math.log(p1 / 0.05), within(1e-12));
    }

    @Test
    void theSprtThresholdHalvesAlpha() {
        assertThat(new CohortComplaintTest(settings, 10).sprtThreshold()).isCloseTo(Math.log(2000), within(1e-12));
    }

    @Test
    void theCusumFloorsAtZeroWhileTheSprtDriftsDown() {
        var test = new CohortComplaintTest(settings, 10);
        for (int i = 0; i < 100; i++) {
            test.observe(false, 0.05);
        }
        assertThat(test.cusum()).isZero();
        assertThat(test.sprt()).isLessThan(-3);
        assertThat(test.fromOld()).isEqualTo(100);
    }

    @Test
    void aRunOfComplaintsFromTheCanaryHalts() {
        var test = new CohortComplaintTest(settings, 9);
        CohortComplaintTest.Decision d = CohortComplaintTest.Decision.CONTINUE;
        int events = 0;
        while (d == CohortComplaintTest.Decision.CONTINUE) {
            d = test.observe(true, 0.05);
            events++;
        }
        // each canary complaint adds log(p1/p0) = log(2/1.05) = 0.644: the SPRT (7.6) crosses at the 12th
        assertThat(events).isEqualTo(12);
        assertThat(test.fromNew()).isEqualTo(12);
    }

    @Test
    void eventsWhileOneCohortIsEmptyCountButWeighNothing() {
        var test = new CohortComplaintTest(settings, 9);
        test.observe(true, 1.0);
        test.observe(false, 0.0);
        assertThat(test.sprt()).isZero();
        assertThat(test.fromNew() + test.fromOld()).isEqualTo(2);
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> new GuardSettings(0, 2, java.time.Duration.ofDays(7)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GuardSettings(0.001, 1, java.time.Duration.ofDays(7)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CohortComplaintTest(settings, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
