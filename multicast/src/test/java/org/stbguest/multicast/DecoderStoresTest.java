package org.stbguest.multicast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DecoderStoresTest {

    @Test
    void keepsTheLastFewStoresAndHandsOutTheSmallestThatIsLargeEnough() {
        while (DecoderStores.take(0) != null) { // what other tests in this JVM gave back
            continue;
        }
        assertThat(DecoderStores.take(10)).as("none kept").isNull();
        long[] small = new long[10];
        long[] large = new long[30];
        DecoderStores.give(large);
        DecoderStores.give(small);
        DecoderStores.give(null);
        assertThat(DecoderStores.kept()).isEqualTo(2);
        assertThat(DecoderStores.take(31)).as("too small, both").isNull();
        assertThat(DecoderStores.take(8)).as("the smallest large enough").isSameAs(small);
        assertThat(DecoderStores.take(8)).as("then the larger one").isSameAs(large);
        assertThat(DecoderStores.take(8)).isNull();

        long[] third = new long[20];
        DecoderStores.give(small);
        DecoderStores.give(large);
        DecoderStores.give(third);
        assertThat(DecoderStores.kept()).as("at most " + DecoderStores.MAX_KEPT).isEqualTo(DecoderStores.MAX_KEPT);
        assertThat(DecoderStores.take(10)).as("the oldest went").isSameAs(third);
        assertThat(DecoderStores.take(10)).isSameAs(large);
    }
}
