import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Simulated fleet: sender bytes / image size for the FEC protocol at fleet sizes no machine can host, with loss
 * drawn independently per receiver and packet. The protocol is the real one: a first cycle of k + ceil(k * ratio)
 * symbols per block, then feedback rounds that send, per block, the largest deficit any receiver still has plus the
 * proactive share. The code is MDS (any k symbols of a block rebuild it, checked by the property tests), so counting
 * symbols per block is exact. Usage: FleetSim RECEIVERS LOSS_PERCENT IMAGE_MIB SEED
 */
public final class FleetSim {

    static final int SYMBOL = 1400;
    static final int K = Integer.getInteger("k", 64);
    static final int HEADER = 22 + 28; // our header + IPv4 + UDP
    static final double RATIO = Double.parseDouble(System.getProperty("ratio", "0.02"));

    public static void main(String[] args) {
        int receivers = Integer.parseInt(args[0]);
        double loss = Double.parseDouble(args[1]) / 100.0;
        long size = Long.parseLong(args[2]) * 1048576L;
        long seed = Long.parseLong(args[3]);
        long symbols = (size + SYMBOL - 1) / SYMBOL;
        int blocks = (int) ((symbols + K - 1) / K);
        SplittableRandom random = new SplittableRandom(seed);
        // need[r][b] would be receivers x blocks ints (10,000 x 1,500 = 60 MB): fine
        short[][] need = new short[receivers][blocks];
        long packets = 0;
        int[] sendNow = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            int k = (int) Math.min(K, symbols - (long) b * K);
            sendNow[b] = k + (int) Math.ceil(k * RATIO);
            for (int r = 0; r < receivers; r++) {
                need[r][b] = (short) k;
            }
        }
        int rounds = 0;
        while (true) {
            for (int b = 0; b < blocks; b++) {
                int n = sendNow[b];
                if (n == 0) {
                    continue;
                }
                packets += n;
                for (int r = 0; r < receivers; r++) {
                    if (need[r][b] > 0) {
                        int got = 0;
                        for (int i = 0; i < n; i++) {
                            if (random.nextDouble() >= loss) {
                                got++;
                            }
                        }
                        need[r][b] = (short) Math.max(0, need[r][b] - got);
                    }
                }
            }
            int[] worst = new int[blocks];
            boolean any = false;
            for (int r = 0; r < receivers; r++) {
                short[] nr = need[r];
                for (int b = 0; b < blocks; b++) {
                    if (nr[b] > worst[b]) {
                        worst[b] = nr[b];
                        any = true;
                    }
                }
            }
            if (!any) {
                break;
            }
            rounds++;
            for (int b = 0; b < blocks; b++) {
                sendNow[b] = worst[b] == 0 ? 0 : worst[b] + (int) Math.ceil(worst[b] * RATIO);
            }
        }
        double sentPerFile = (double) packets * (SYMBOL + HEADER) / size;
        System.out.printf("receivers=%d loss=%.0f%% blocks=%d packets=%d feedback_rounds=%d sent_per_file=%.3f%n",
                receivers, loss * 100, blocks, packets, rounds, sentPerFile);
        System.out.printf("SENT_PER_FILE=%.3f%n", sentPerFile);
    }
}
