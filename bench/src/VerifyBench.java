import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.stbguest.image.ChunkDigests;
import org.stbguest.image.ImageChunker;
import org.stbguest.image.Manifest;
import org.stbguest.image.StreamingImageVerifier;

/**
 * Streams an image file through the box-side verifier (every chunk's SHA-256 checked against the manifest) and
 * prints the throughput of each run; then the same image checked a batch of chunks at a time, as the multicast receiver
 * checks a decoded block's chunks ({@link Manifest#checkChunks}). Usage: VerifyBench FILE RUNS. The manifest is built
 * first and not timed.
 */
public final class VerifyBench {

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        Manifest manifest;
        try (InputStream in = Files.newInputStream(file)) {
            manifest = ImageChunker.chunk(in, new ImageChunker.ImageInfo("bench", 1, 0, Set.of("stb-x1"),
                    ImageChunker.DEFAULT_CHUNK_SIZE), Long.MAX_VALUE, (i, d, b, l) -> { });
        }
        double mib = manifest.size() / 1048576.0;
        double[] rates = new double[runs];
        byte[] buf = new byte[1 << 20];
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            var verifier = new StreamingImageVerifier(manifest, (i, data, len) -> { });
            try (InputStream in = Files.newInputStream(file)) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    verifier.update(buf, 0, n);
                }
            }
            verifier.finish();
            double s = (System.nanoTime() - t0) / 1e9;
            rates[r] = mib / s;
            System.out.printf("ours run %d: %.1f MiB/s%n", r + 1, rates[r]);
        }
        Arrays.sort(rates);
        System.out.printf("ours median: %.1f MiB/s (min %.1f, max %.1f)%n", rates[runs / 2], rates[0], rates[runs - 1]);
        System.out.printf("OURS_MEDIAN=%.1f%n", rates[runs / 2]);

        // the multicast receiver's path: a decoded block's chunks checked together (Manifest.checkChunks), as many
        // at once as ChunkDigests has lanes; read from the file as whole chunks, also timed
        int lanes = ChunkDigests.lanes();
        int chunks = manifest.chunkDigests().size();
        double[] batchRates = new double[runs];
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            try (InputStream in = Files.newInputStream(file)) {
                for (int c = 0; c < chunks; c += lanes) {
                    int n = Math.min(lanes, chunks - c);
                    int[] indexes = new int[n];
                    byte[][] data = new byte[n][];
                    for (int i = 0; i < n; i++) {
                        indexes[i] = c + i;
                        data[i] = in.readNBytes(manifest.chunkLength(c + i));
                    }
                    for (var error : manifest.checkChunks(indexes, data)) {
                        if (error != null) {
                            throw error;
                        }
                    }
                }
            }
            double s = (System.nanoTime() - t0) / 1e9;
            batchRates[r] = mib / s;
            System.out.printf("ours batched run %d (%d lanes): %.1f MiB/s%n", r + 1, lanes, batchRates[r]);
        }
        Arrays.sort(batchRates);
        System.out.printf("ours batched median: %.1f MiB/s (min %.1f, max %.1f)%n", batchRates[runs / 2], batchRates[0],
                batchRates[runs - 1]);
        System.out.printf("BATCH_MEDIAN=%.1f%nLANES=%d%n", batchRates[runs / 2], lanes);
    }
}
