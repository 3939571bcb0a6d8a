package org.stbguest.multicast.fec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ReedSolomonTest {

    @Test
    void fieldArithmeticIsAField() {
        for (int a = 1; a < 256; a++) {
            assertThat(Gf256.mul(a, Gf256.inverse(a))).isEqualTo(1);
            assertThat(Gf256.mul(a, 1)).isEqualTo(a);
            assertThat(Gf256.mul(a, 0)).isZero();
        }
        assertThat(Gf256.mul(0x53, 0xCA)).isEqualTo(Gf256.mul(0xCA, 0x53));
    }

    /** Any k of the k+r symbols, in any order, with duplicates, rebuild the block exactly. */
    @Property(tries = 300)
    void anyKSymbolsRebuildTheBlock(@ForAll @IntRange(min = 1, max = 128) int k,
                                    @ForAll @IntRange(min = 0, max = 40) int extraRepair,
                                    @ForAll long seed) {
        int t = 64;
        var rs = new ReedSolomon(k, t);
        byte[][] source = Blocks.random(k, t, seed);
        Random random = new Random(seed);
        int repairCount = Math.min(rs.maxRepair(), Math.max(1, extraRepair + random.nextInt(k) / 2));
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            ids.add(i);
        }
        for (int i = 0; i < repairCount; i++) {
            ids.add(k + i);
        }
        Collections.shuffle(ids, random);
        var decoder = rs.decoder();
        for (int esi : ids) {
            if (decoder.deficit() == 0) {
                break;
            }
            byte[] sym = new byte[t];
            if (esi < k) {
                System.arraycopy(source[esi], 0, sym, 0, t);
            } else {
                rs.encode(source, esi, sym);
            }
            decoder.add(esi, sym);
            decoder.add(esi, sym.clone()); // a repeated packet changes nothing
        }
        if (decoder.deficit() > 0) {
            return; // fewer than k symbols were offered
        }
        byte[][] back = decoder.decode();
        for (int j = 0; j < k; j++) {
            assertThat(back[j]).isEqualTo(source[j]);
        }
    }

    @Test
    void rebuildsFromRepairSymbolsAloneAndFromTheLastIds() {
        int k = 32;
        var rs = new ReedSolomon(k, 100);
        byte[][] source = Blocks.random(k, 100, 7);
        var decoder = rs.decoder();
        for (int esi = 255; esi > 255 - k; esi--) {
            byte[] sym = new byte[100];
            rs.encode(source, esi, sym);
            decoder.add(esi, sym);
        }
        assertThat(decoder.deficit()).isZero();
        byte[][] back = decoder.decode();
        for (int j = 0; j < k; j++) {
            assertThat(back[j]).isEqualTo(source[j]);
        }
    }

    @Test
    void reportsItsDeficitAndRefusesToDecodeEarly() {
        var rs = new ReedSolomon(10, 16);
        var decoder = rs.decoder();
        decoder.add(0, new byte[16]);
        decoder.add(12, new byte[16]);
        assertThat(decoder.deficit()).isEqualTo(8);
        assertThatThrownBy(decoder::decode).hasMessageContaining("8 more");
        assertThat(decoder.add(300, new byte[16])).isFalse();
        assertThat(decoder.add(1, new byte[15])).as("wrong symbol size").isFalse();
    }
}
