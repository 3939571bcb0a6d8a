package org.stbguest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkStoreTest {

    @TempDir
    Path dir;

    @Test
    void storesChunksByDigestAndReassemblesTheImage() throws Exception {
        ChunkStore store = new ChunkStore(dir);
        byte[] image = TestImages.randomBytes(TestImages.CHUNK * 2 + 3, 31);
        Manifest m = ImageChunker.chunk(new ByteArrayInputStream(image),
                new ImageChunker.ImageInfo("browser", 1, 0, Set.of("stb-x1"), TestImages.CHUNK), Long.MAX_VALUE,
                (i, d, data, len) -> store.put(d, data, len));

        assertThat(m.chunkDigests()).allMatch(store::contains);
        assertThat(store.openImage(m).readAllBytes()).isEqualTo(image);
        try (Stream<Path> tmp = Files.list(dir.resolve("tmp"))) {
            assertThat(tmp).isEmpty();
        }
    }

    @Test
    void identicalChunksAreStoredOnce() throws Exception {
        ChunkStore store = new ChunkStore(dir);
        byte[] chunk = TestImages.randomBytes(TestImages.CHUNK, 32);
        Digest a = store.put(chunk);
        Digest b = store.put(chunk.clone());
        assertThat(a).isEqualTo(b);
        try (Stream<Path> files = Files.walk(dir.resolve("chunks"))) {
            assertThat(files.filter(Files::isRegularFile)).hasSize(1);
        }
    }

    @Test
    void detectsAChunkCorruptedOnDisk() throws Exception {
        ChunkStore store = new ChunkStore(dir);
        Digest d = store.put(TestImages.randomBytes(100, 33));
        Files.write(store.path(d), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> store.get(d))
                .extracting(e -> ((ImageVerificationException) e).reason())
                .isEqualTo(ImageVerificationException.Reason.TAMPERED_CHUNK);
    }

    @Test
    void servesAnyByteRangeAcrossChunkBoundaries() throws Exception {
        ChunkStore store = new ChunkStore(dir);
        byte[] image = TestImages.randomBytes(TestImages.CHUNK * 3 + 17, 34);
        Manifest m = ImageChunker.chunk(new ByteArrayInputStream(image),
                new ImageChunker.ImageInfo("browser", 1, 0, Set.of("stb-x1"), TestImages.CHUNK), Long.MAX_VALUE,
                (i, d, data, len) -> store.put(d, data, len));
        long[][] ranges = {{0, 1}, {TestImages.CHUNK - 3, 10}, {5, image.length - 5}, {image.length - 1, 1}, {7, 0}};
        for (long[] r : ranges) {
            var out = new java.io.ByteArrayOutputStream();
            store.copyRange(m, r[0], r[1], out);
            assertThat(out.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(image, (int) r[0], (int) (r[0] + r[1])));
        }
        assertThatThrownBy(() -> store.copyRange(m, image.length - 1, 2, new java.io.ByteArrayOutputStream()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void garbageCollectionDeletesOnlyOldUnreferencedChunks() throws Exception {
        ChunkStore store = new ChunkStore(dir);
        Digest kept = store.put(TestImages.randomBytes(100, 35));
        Digest orphan = store.put(TestImages.randomBytes(100, 36));
        Digest fresh = store.put(TestImages.randomBytes(100, 37));
        java.time.Instant old = java.time.Instant.now().minusSeconds(7200);
        Files.setLastModifiedTime(store.path(kept), java.nio.file.attribute.FileTime.from(old));
        Files.setLastModifiedTime(store.path(orphan), java.nio.file.attribute.FileTime.from(old));

        int deleted = store.collectGarbage(kept::equals, java.time.Instant.now().minusSeconds(3600));

        assertThat(deleted).isEqualTo(1);
        assertThat(store.contains(kept)).isTrue();
        assertThat(store.contains(orphan)).isFalse();
        assertThat(store.contains(fresh)).as("an unreferenced chunk of an upload in flight survives").isTrue();
    }

    @Test
    void reusingAnOldChunkInANewUploadProtectsItFromCollection() throws Exception {
        ChunkStore store = new ChunkStore(dir);
        byte[] data = TestImages.randomBytes(100, 38);
        Digest d = store.put(data);
        Files.setLastModifiedTime(store.path(d), java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(7200)));
        store.put(data); // a concurrent upload contains the same chunk
        assertThat(store.collectGarbage(x -> false, java.time.Instant.now().minusSeconds(3600))).isZero();
        assertThat(store.contains(d)).isTrue();
    }
}
