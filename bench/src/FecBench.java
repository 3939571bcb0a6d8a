import java.util.Arrays;
import java.util.Random;
import org.stbguest.multicast.fec.ReedSolomon;
import org.stbguest.multicast.fec.SparseCode;

/**
 * Speed of the erasure codes on one core, in MiB of image per second, at the operating point of feedback mode:
 * blocks of K symbols of which LOSS_PERCENT are lost. Encode: the repair rows a round sends for that deficit (what the
 * sender computes per block). Decode: a receiver's whole work for a block: taking in its sources, then rows until
 * the block is rebuilt, then handing out the block. For comparison, the same for Reed-Solomon with k = 64.
 * Usage: FecBench K SYMBOL_SIZE LOSS_PERCENT SECONDS_PER_RUN RUNS
 */
public final class FecBench {

    public static void main(String[] args) {
        int k = Integer.parseInt(args[0]);
        int t = Integer.parseInt(args[1]);
        double loss = Double.parseDouble(args[2]) / 100;
        double seconds = Double.parseDouble(args[3]);
        int runs = Integer.parseInt(args[4]);
        Random random = new Random(1);
        byte[][] source = new byte[k][t];
        for (byte[] s : source) {
            random.nextBytes(s);
        }
        double blockMib = (double) k * t / 1048576.0;
        var code = new SparseCode(k, t);
        long[][] words = code.prepare(source);
        var scratch = code.scratch();
        int lost = (int) Math.round(k * loss);
        int batch = lost + 64; // enough rows for any rank shortfall
        int weight = SparseCode.weightFor(k, lost);
        byte[][] rows = new byte[batch][t];
        double[] enc = new double[runs];
        double[] dec = new double[runs];
        int id = k;
        for (int run = 0; run < runs; run++) {
            long blocks = 0;
            long t0 = System.nanoTime();
            long end = t0 + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                id = k + (int) (blocks % 1000) * batch;
                for (int r = 0; r < batch; r++) {
                    code.encode(words, 0, id + r, weight, rows[r], scratch);
                }
                blocks++;
            }
            enc[run] = blocks * blockMib * batch / lost / ((System.nanoTime() - t0) / 1e9);
            blocks = 0;
            t0 = System.nanoTime();
            end = t0 + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                Random pattern = new Random(blocks);
                var d = code.decoder(0);
                for (int j = 0; j < k; j++) {
                    if (pattern.nextDouble() >= loss) {
                        d.add(j, 0, source[j]);
                    }
                }
                for (int r = 0; r < batch && !d.complete(); r++) {
                    d.add(id + r, weight, rows[r]);
                }
                for (int r = batch; !d.complete(); r++) { // the rare block that needs more rows than the batch
                    byte[] extra = new byte[t];
                    code.encode(words, 0, id + r, weight, extra, scratch);
                    d.add(id + r, weight, extra);
                }
                byte[][] back = d.decode();
                if (back[k - 1][t - 1] != source[k - 1][t - 1]) {
                    throw new AssertionError("decode mismatch");
                }
                blocks++;
            }
            dec[run] = blocks * blockMib / ((System.nanoTime() - t0) / 1e9);
            System.out.printf("run %d: large-block code k=%d, %.0f%% lost: encode %.1f MiB/s, decode %.1f MiB/s%n",
                    run + 1, k, loss * 100, enc[run], dec[run]);
        }
        double[] rs = reedSolomon(t, loss, seconds);
        Arrays.sort(enc);
        Arrays.sort(dec);
        System.out.printf("reed-solomon k=64, %.0f%% lost: encode %.1f MiB/s, decode %.1f MiB/s%n", loss * 100, rs[0], rs[1]);
        System.out.printf("fec: encode_mib_s=%.1f decode_mib_s=%.1f%n", enc[runs / 2], dec[runs / 2]);
    }

    /** Reed-Solomon with k = 64 at the same loss, one run. */
    static double[] reedSolomon(int t, double loss, double seconds) {
        int k = 64;
        int lost = Math.max(1, (int) Math.round(k * loss));
        var rs = new ReedSolomon(k, t);
        byte[][] source = new byte[k][t];
        new Random(2).nextBytes(source[0]);
        byte[][] repairs = new byte[lost][t];
        double blockMib = (double) k * t / 1048576.0;
        long blocks = 0;
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < seconds * 1e9) {
            for (int r = 0; r < lost; r++) {
                rs.encode(source, k + r, repairs[r]);
            }
            blocks++;
        }
        double enc = blocks * blockMib / ((System.nanoTime() - t0) / 1e9);
        blocks = 0;
        t0 = System.nanoTime();
        while (System.nanoTime() - t0 < seconds * 1e9) {
            var d = rs.decoder();
            for (int j = lost; j < k; j++) {
                d.add(j, source[j]);
            }
            for (int r = 0; r < lost; r++) {
                d.add(k + r, repairs[r]);
            }
            d.decode();
            blocks++;
        }
        return new double[] {enc, blocks * blockMib / ((System.nanoTime() - t0) / 1e9)};
    }
}
