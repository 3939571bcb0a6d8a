package org.stbguest.image;

import java.util.Random;

/**
 * Run in its own JVM by {@link ChunkDigestsTest}: batches of chunk-sized messages through the vector path until it is
 * compiled, each digest compared with the JDK's; prints the count of wrong digests. The vector path is called
 * directly, so that a wrong digest is counted rather than caught by {@link Manifest#checkChunks}.
 */
final class ChunkDigestsSoak {

    private ChunkDigestsSoak() {
    }

    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        Random random = new Random(17);
        int wrong = 0;
        for (int round = 0; round < rounds; round++) {
            int count = 1 + random.nextInt(VectorSha256.LANES);
            int length = round % 2 == 0 ? ImageChunker.DEFAULT_CHUNK_SIZE : 1 + random.nextInt(70_000);
            byte[][] messages = new byte[count][length];
            for (byte[] m : messages) {
                random.nextBytes(m);
            }
            byte[][] out = new byte[count][];
            VectorSha256.digest(messages, 0, count, length, out);
            for (int i = 0; i < count; i++) {
                if (!java.util.Arrays.equals(out[i], Digest.newSha256().digest(messages[i]))) {
                    wrong++;
                }
            }
        }
        System.out.println("wrong=" + wrong);
    }
}
