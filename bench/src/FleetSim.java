import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.stbguest.multicast.fec.BlockCode;
import org.stbguest.multicast.fec.SparseCode;

/**
 * Simulated fleet: sender bytes / image size for the feedback protocol with the large-block code, at fleet sizes no
 * machine can host, with loss drawn independently per receiver and packet. The protocol is the real one (all source
 * symbols of a block, then rounds of the largest reported deficit in fresh rows, weight from {@code
 * SparseCode.weightFor}, with the margin for their loss from {@code BlockCode.withLossMargin}) and so are the
 * rows ({@code SparseCode.row}); each receiver tracks the exact GF(2) rank of what it got over the sources it lost
 * (bits only, no payload), so a dependent row costs what it costs on a real box. Blocks are independent, so a few
 * blocks give the per-file ratio of any image made of such blocks. Bytes are counted as a sender's interface counts
 * them: symbol + 16-byte header + UDP + IPv4 + Ethernet.
 * Usage: FleetSim RECEIVERS LOSS_PERCENT BLOCKS SEED [K]
 */
public final class FleetSim {

    static final int SYMBOL = 1456;
    static final int FRAME = SYMBOL + 16 + 8 + 20 + 14;
    /** -Dsim.tailExtra=false: a small deficit gets exactly its size in rows (the rule before 2026-11-21). */
    static final boolean TAIL_EXTRA = Boolean.parseBoolean(System.getProperty("sim.tailExtra", "true"));
    /** -Dsim.lossMargin=false: a round sends just the rows the neediest box lacks (the rule before 2026-11-22). */
    static final boolean LOSS_MARGIN = Boolean.parseBoolean(System.getProperty("sim.lossMargin", "true"));

    /** One receiver's view of one block: which sources it lost, and its echelon rows over them. */
    static final class Receiver {
        final long[] missing;
        final int[] before; // lost sources before each word of missing
        final int m;
        final int words;
        final long[][] pivots;
        int rank;
        final SplittableRandom random;

        Receiver(int k, double loss, SplittableRandom random) {
            this.random = random;
            missing = new long[(k + 63) >>> 6];
            int lost = 0;
            for (int i = 0; i < k; i++) {
                if (random.nextDouble() < loss) {
                    missing[i >>> 6] |= 1L << i;
                    lost++;
                }
            }
            m = lost;
            before = new int[missing.length];
            for (int w = 1; w < missing.length; w++) {
                before[w] = before[w - 1] + Long.bitCount(missing[w - 1]);
            }
            words = (m + 63) >>> 6;
            pivots = new long[m][];
        }

        int deficit() {
            return m - rank;
        }

        /** Sources XORed out of the rows this receiver took in: its decoding work, in symbol additions. */
        long xors;

        void receive(int[] row, int weight, double loss) {
            if (random.nextDouble() < loss || rank == m) {
                return;
            }
            xors += weight;
            long[] bits = new long[words];
            for (int i = 0; i < weight; i++) {
                int s = row[i];
                long word = missing[s >>> 6];
                if ((word & (1L << s)) != 0) {
                    int c = before[s >>> 6] + Long.bitCount(word & ((1L << s) - 1));
                    bits[c >>> 6] ^= 1L << c;
                }
            }
            int w = 0;
            while (true) {
                while (w < words && bits[w] == 0) {
                    w++;
                }
                if (w == words) {
                    return;
                }
                int c = (w << 6) + Long.numberOfTrailingZeros(bits[w]);
                if (pivots[c] == null) {
                    pivots[c] = bits;
                    rank++;
                    return;
                }
                long[] p = pivots[c];
                for (int i = w; i < words; i++) {
                    bits[i] ^= p[i];
                }
            }
        }
    }

    public static void main(String[] args) {
        int receivers = Integer.parseInt(args[0]);
        double loss = Double.parseDouble(args[1]) / 100.0;
        int blocks = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        int k = args.length > 4 ? Integer.parseInt(args[4]) : 16384;
        long t0 = System.nanoTime();
        long sent = 0;
        long xors = 0;
        long totalRounds = 0;
        int maxRounds = 0;
        SplittableRandom seeds = new SplittableRandom(seed);
        for (int b = 0; b < blocks; b++) {
            Receiver[] fleet = new Receiver[receivers];
            for (int r = 0; r < receivers; r++) {
                fleet[r] = new Receiver(k, loss, seeds.split());
            }
            sent += k;
            int nextId = k;
            int rounds = 0;
            double blockLoss = -1; // the block's loss rate as the sender estimates it: its neediest box's first deficit
            while (true) {
                int deficit = Arrays.stream(fleet).mapToInt(Receiver::deficit).max().orElse(0);
                if (deficit == 0) {
                    break;
                }
                rounds++;
                if (blockLoss < 0) {
                    blockLoss = Math.min(BlockCode.MAX_LOSS_ESTIMATE, (double) deficit / k);
                }
                int needed = TAIL_EXTRA ? SparseCode.batchFor(deficit) : deficit;
                int weight = SparseCode.weightFor(k, needed);
                int batch = LOSS_MARGIN ? BlockCode.withLossMargin(needed, blockLoss, receivers) : needed;
                int[][] rows = new int[batch][weight];
                BitSet scratch = new BitSet(k);
                for (int j = 0; j < batch; j++) {
                    SparseCode.row(k, b, nextId++, weight, rows[j], scratch);
                }
                sent += batch;
                totalRounds++;
                IntStream.range(0, receivers).parallel().forEach(r -> {
                    for (int[] row : rows) {
                        fleet[r].receive(row, weight, loss);
                    }
                });
            }
            maxRounds = Math.max(maxRounds, rounds);
            for (Receiver r : fleet) {
                xors += r.xors;
            }
            System.out.printf("block %d: sent so far %.4f symbols per source symbol, %d rounds%n", b,
                    (double) sent / ((long) k * (b + 1)), rounds);
        }
        double perFile = (double) sent * FRAME / ((double) k * blocks * SYMBOL);
        System.out.printf("receivers=%d loss=%.1f%% k=%d blocks=%d symbols_per_source=%.4f most_rounds=%d seconds=%.1f%n",
                receivers, loss * 100, k, blocks, (double) sent / ((long) k * blocks), maxRounds,
                (System.nanoTime() - t0) / 1e9);
        System.out.printf("rounds: %.2f per block (mean)%n", (double) totalRounds / blocks);
        System.out.printf("decoding: %.2f symbol additions per source symbol at a receiver (mean)%n",
                (double) xors / ((double) k * blocks * receivers));
        System.out.printf("SENT_PER_FILE=%.3f%n", perFile);
    }
}
