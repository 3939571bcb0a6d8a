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
}
