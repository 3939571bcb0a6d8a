package org.stbguest.multicast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * When a box's deficit report carries its position (the sender then counts what it sent after that position as on
 * its way) and when the deficit is taken as it is: {@link TransmissionReceiver#receiving}.
 */
class ReceiverReportRuleTest {

    private static final long MS = 1_000_000L;
    private static final long INTERVAL = 50 * MS;
    private static final long LONG_QUIET = 1_000 * MS;

    @Test
    void aBoxTakingInSymbolsReportsItsPosition() {
        assertThat(TransmissionReceiver.receiving(1_000 * MS, 990 * MS, INTERVAL, LONG_QUIET, true)).isTrue();
    }

    @Test
    void aBoxWhoseLastReadEmptiedTheSocketAnIntervalAgoIsQuiet() {
        assertThat(TransmissionReceiver.receiving(1_000 * MS, 900 * MS, INTERVAL, LONG_QUIET, true)).isFalse();
    }

    /**
     * The case of a busy box: its event loop was off the CPU for longer than an interval after a read that filled a
     * whole batch, so datagrams may be queued in its socket; its deficit must not count them as lost.
     */
    @Test
    void aBoxWhoseLastReadFilledABatchStillReportsItsPositionAfterAnInterval() {
        assertThat(TransmissionReceiver.receiving(1_000 * MS, 900 * MS, INTERVAL, LONG_QUIET, false)).isTrue();
    }

    /** Not for ever: after a long quiet the deficit is taken as it is, however the last read ended. */
    @Test
    void afterALongQuietNoBoxCountsAsReceiving() {
        assertThat(TransmissionReceiver.receiving(3_000 * MS, 900 * MS, INTERVAL, LONG_QUIET, false)).isFalse();
    }
}
