import java.util.Arrays;
import java.util.Random;
import org.stbguest.multicast.fec.ReedSolomon;

/**
 * Speed of the erasure code on one core, in MiB of image per second. Encode: generate {@code repair} repair symbols
 * per block of k. Decode: rebuild a block from k symbols of which {@code lost} source symbols were replaced by repair
 * symbols. Usage: FecBench K SYMBOL_SIZE REPAIR LOST SECONDS_PER_RUN RUNS
 */
public final class FecBench {

    public static void main(String[] args) {
        int k = Integer.parseInt(args[0]);
        int t = Integer.parseInt(args[1]);
        int repair = Integer.parseInt(args[2]);
        int lost = Integer.parseInt(args[3]);
        double seconds = Double.parseDouble(args[4]);
        int runs = Integer.parseInt(args[5]);
        var rs = new ReedSolomon(k, t);
        byte[][] source = new byte[k][t];
        Random random = new Random(1);
        for (byte[] s : source) {
            random.nextBytes(s);
        }
        byte[][] repairs = new byte[repair][t];
        for (int r = 0; r < repair; r++) {
            rs.encode(source, k + r, repairs[r]);
        }
        double blockMib = (double) k * t / 1048576.0;
        double[] enc = new double[runs];
        double[] dec = new double[runs];
        for (int run = 0; run < runs; run++) {
            long blocks = 0;
            long t0 = System.nanoTime();
            long end = t0 + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                for (int r = 0; r < repair; r++) {
                    rs.encode(source, k + r, repairs[r]);
                }
                blocks++;
            }
            enc[run] = blocks * blockMib / ((System.nanoTime() - t0) / 1e9);
            blocks = 0;
            t0 = System.nanoTime();
            end = t0 + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                var d = rs.decoder();
                for (int j = lost; j < k; j++) {
                    d.add(j, source[j]);
                }
                for (int r = 0; r < lost; r++) {
                    d.add(k + r, repairs[r]);
                }
                byte[][] back = d.decode();
                if (back[0][0] != source[0][0]) {
                    throw new AssertionError("decode mismatch");
                }
                blocks++;
            }
            dec[run] = blocks * blockMib / ((System.nanoTime() - t0) / 1e9);
            System.out.printf("run %d: encode %.1f MiB/s (%d repair per %d), decode %.1f MiB/s (%d lost per %d)%n",
                    run + 1, enc[run], repair, k, dec[run], lost, k);
        }
        Arrays.sort(enc);
        Arrays.sort(dec);
        System.out.printf("fec: encode_mib_s=%.1f decode_mib_s=%.1f%n", enc[runs / 2], dec[runs / 2]);
    }
}
