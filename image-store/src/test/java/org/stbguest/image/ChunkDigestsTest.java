package org.stbguest.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The vector path gives {@link java.security.MessageDigest}'s SHA-256 for every message, whatever the lengths and
 * however many share a length. Test JVMs run with {@code --add-modules jdk.incubator.vector} (the build's surefire
 * setting), so the vector path is exercised directly, not only where {@link ChunkDigests} chose it.
 */
class ChunkDigestsTest {

    @Property(tries = 60)
    void everyDigestIsTheJdksWhateverTheLengths(@ForAll("batches") List<byte[]> batch) {
        byte[][] messages = batch.toArray(byte[][]::new);

        Digest[] vector = ChunkDigests.sha256(messages, VectorSha256.LANES);
        Digest[] oneAtATime = ChunkDigests.sha256(messages, 1);

        for (int i = 0; i < messages.length; i++) {
            Digest jdk = Digest.ofBytes(Digest.newSha256().digest(messages[i]));
            assertThat(vector[i]).as("message %d of %d bytes, vector path", i, messages[i].length).isEqualTo(jdk);
            assertThat(oneAtATime[i]).as("message %d, one at a time", i).isEqualTo(jdk);
        }
    }

    /**
     * Up to three lanes' worth of messages; lengths drawn from a few values (so that groups of one length fill
     * batches, whole and partial), across the tail and padding edges, plus a chunk-sized one.
     */
    @Provide
    Arbitrary<List<byte[]>> batches() {
        Arbitrary<Integer> length = Arbitraries.of(0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 4096, 4097, 65536);
        Arbitrary<byte[]> message = length.flatMap(n -> Arbitraries.bytes().array(byte[].class).ofSize(n));
        return message.list().ofMinSize(1).ofMaxSize(3 * VectorSha256.LANES + 1);
    }

    @Test
    void aBatchOfChunkSizedMessagesGivesTheJdksDigests() {
        byte[][] chunks = new byte[VectorSha256.LANES + 3][];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = TestImages.randomBytes(ImageChunker.DEFAULT_CHUNK_SIZE, i);
        }
        Digest[] digests = ChunkDigests.sha256(chunks, VectorSha256.LANES);
        for (int i = 0; i < chunks.length; i++) {
            assertThat(digests[i]).isEqualTo(Digest.sha256(chunks[i]));
        }
    }

    @Test
    void theVectorPathIsChosenWhereVectorsAreWideAndNeverWhenTurnedOff() {
        assertThat(ChunkDigests.selectLanes("off")).isEqualTo(1);
        // test JVMs have the module: the choice follows the CPU's vector width alone
        int expected = VectorSha256.LANES >= 8 ? VectorSha256.LANES : 1;
        assertThat(ChunkDigests.selectLanes("auto")).isEqualTo(expected);
        assertThat(ChunkDigests.lanes()).isEqualTo(expected);
    }

    @Test
    void aManifestChecksChunksTogetherAndNamesEachBadOne() {
        byte[] image = TestImages.randomBytes(TestImages.CHUNK * (VectorSha256.LANES + 2) + 100, 5);
        Manifest manifest = TestImages.manifestOf(image);
        List<byte[]> chunks = TestImages.chunksOf(image);
        int n = chunks.size();
        int[] indexes = new int[n];
        byte[][] data = new byte[n][];
        for (int i = 0; i < n; i++) {
            indexes[i] = i;
            data[i] = chunks.get(i).clone();
        }
        data[2][17] ^= 1;                                      // tampered
        data[5] = java.util.Arrays.copyOf(data[5], data[5].length - 1); // truncated
        ImageVerificationException[] errors = manifest.checkChunks(indexes, data);

        for (int i = 0; i < n; i++) {
            if (i == 2) {
                assertThat(errors[i].reason()).isEqualTo(ImageVerificationException.Reason.TAMPERED_CHUNK);
                assertThat(errors[i]).hasMessageContaining("chunk 2 ");
            } else if (i == 5) {
                assertThat(errors[i].reason()).isEqualTo(ImageVerificationException.Reason.TRUNCATED);
            } else {
                assertThat(errors[i]).as("chunk %d", i).isNull();
            }
        }
    }

    @Test
    void aWrongBatchDigestCostsNoGoodChunkAndTurnsTheBatchPathOff() {
        byte[] image = TestImages.randomBytes(TestImages.CHUNK * 6, 8);
        Manifest manifest = TestImages.manifestOf(image);
        List<byte[]> chunks = TestImages.chunksOf(image);
        int[] indexes = {0, 1, 2, 3, 4, 5};
        byte[][] data = chunks.toArray(byte[][]::new);
        data[4] = data[4].clone();
        data[4][0] ^= 1;
        try {
            // a batch digester that is wrong about everything, as a miscompiled vector path was (all zeros)
            ImageVerificationException[] errors = manifest.checkChunks(indexes, data,
                    messages -> java.util.Collections.nCopies(messages.length, Digest.ofBytes(new byte[32]))
                            .toArray(Digest[]::new));

            for (int i = 0; i < indexes.length; i++) {
                if (i == 4) {
                    assertThat(errors[i].reason()).isEqualTo(ImageVerificationException.Reason.TAMPERED_CHUNK);
                } else {
                    assertThat(errors[i]).as("good chunk %d", i).isNull();
                }
            }
            assertThat(ChunkDigests.lanes()).as("chunks are hashed one at a time from now on").isEqualTo(1);
        } finally {
            ChunkDigests.select("auto");
        }
    }

    /**
     * Compiled code is what runs on a box, and boxes run the serial collector (a small machine's default): JDK 17's C2
     * once gave all-zero digests there and not under G1, this test JVM's collector. So a JVM of its own, serial,
     * hashes until the vector path is compiled and counts wrong digests.
     */
    @Test
    void theBatchPathStaysRightOnceCompiledUnderTheSerialCollector() throws Exception {
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), ChunkDigestsSoak.class.getName(), "150")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("wrong=0");
    }
}
