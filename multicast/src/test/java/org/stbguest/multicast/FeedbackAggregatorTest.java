package org.stbguest.multicast;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.stbguest.multicast.wire.FeedbackFrame;

/** How the sender's aggregator turns receivers' reports into the number of fresh symbols a block needs. */
class FeedbackAggregatorTest {

    private final FeedbackAggregator aggregator = new FeedbackAggregator(9);
    private final EmbeddedChannel channel = new EmbeddedChannel(aggregator);

    private void report(int receiver, int block, int deficit, int atBlock, int atId) {
        channel.writeInbound(new FeedbackFrame(9, receiver, atBlock, atId, new int[] {block}, new int[] {deficit}));
    }

    @Test
    void theLargestDeficitOfAnyReceiverIsWhatTheBlockNeeds() {
        report(1, 0, 12, 1, 5);
        report(2, 0, 30, 1, 5);
        report(3, 1, 5, 1, 9);
        assertThat(aggregator.take(0)).isEqualTo(30);
        assertThat(aggregator.take(0)).as("taken").isZero();
        assertThat(aggregator.take(1)).isEqualTo(5);
        assertThat(aggregator.receivers()).isEqualTo(3);
    }

    @Test
    void aReceiversNewerReportReplacesItsOlderOne() {
        report(1, 0, 40, 0, 100);
        report(1, 0, 3, 0, 900);
        assertThat(aggregator.take(0)).isEqualTo(3);
    }

    /** The sender's record here: block 0's symbols 0..999 went out as data symbols 0..999, then block 1's. */
    @Test
    void symbolsSentAfterTheNewestOneAReceiverHadAreStillOnTheirWay() {
        FeedbackAggregator.InFlight log = (block, atBlock, atId) -> block == 0 && atBlock == 0 ? 999 - atId : 0;
        report(1, 0, 50, 0, 899); // a busy receiver: 100 symbols sent after the newest one it read are still queued
        assertThat(aggregator.take(0, log)).as("a stale report is not paid for again").isZero();
        report(1, 0, 50, 0, 989);
        report(2, 0, 20, 1, 3); // already reading block 1: what it lacks of block 0 is lost, not late
        assertThat(aggregator.take(0, log)).as("receiver 1: 50 - 10 on their way; receiver 2: 20").isEqualTo(40);
        report(3, 0, 7, -1, -1);
        assertThat(aggregator.take(0, log)).as("no position: all it says").isEqualTo(7);
    }

    @Test
    void reportsOfABlockThatArriveBeforeItsLastSymbolsWentOutAreIgnored() {
        aggregator.reset(4, System.nanoTime() + 60_000_000_000L);
        report(1, 4, 10, 4, 1);
        assertThat(aggregator.take(4)).isZero();
        aggregator.reset(4, System.nanoTime());
        report(1, 4, 10, 4, 1);
        assertThat(aggregator.take(4)).isEqualTo(10);
    }

    @Test
    void anEmptyReportMeansThatReceiverIsComplete() {
        report(1, 0, 3, 0, 0);
        channel.writeInbound(new FeedbackFrame(9, 2, new int[0], new int[0]));
        channel.writeInbound(new FeedbackFrame(8, 3, new int[0], new int[0])); // another transmission's
        assertThat(aggregator.receivers()).isEqualTo(2);
        assertThat(aggregator.completeReceivers()).isEqualTo(1);
    }

    @Test
    void progressReportsTellWhereTheBoxesThatAreBehindStandUntilTheyAreComplete() {
        long before = System.nanoTime();
        channel.writeInbound(new FeedbackFrame(9, 1, 2, 300, new int[0], new int[0])); // behind, nothing to ask for
        channel.writeInbound(new FeedbackFrame(9, 2, 3, 10, new int[0], new int[0]));
        report(3, 0, 4, 3, 900); // deficits, from a box that may well keep up: not a reason to hold the sender
        assertThat(aggregator.positionsSince(before)).extracting(p -> p[0] + ":" + p[1])
                .containsExactlyInAnyOrder("2:300", "3:10");
        assertThat(aggregator.completeReceivers()).as("a progress report is not \"complete\"").isZero();
        assertThat(aggregator.take(2)).as("and asks for nothing").isZero();
        assertThat(aggregator.take(0)).isEqualTo(4);
        assertThat(aggregator.positionsSince(System.nanoTime() + 1)).as("older than asked for").isEmpty();
        channel.writeInbound(new FeedbackFrame(9, 1, new int[0], new int[0]));
        assertThat(aggregator.positionsSince(before)).extracting(p -> p[0] + ":" + p[1]).containsExactly("3:10");
        assertThat(aggregator.completeReceivers()).isEqualTo(1);
    }
}
