package org.stbguest.multicast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image sources the sender reads blocks from: into arrays and into (direct) buffers, at any offset. */
class ImageSourceTest {

    @Test
    void fileAndMemorySourcesReadTheSameBytesIntoArraysAndBuffers(@TempDir Path dir) throws IOException {
        byte[] image = new byte[1_000_003];
        new Random(4).nextBytes(image);
        Path file = Files.write(dir.resolve("image.bin"), image);
        try (ImageSource fromFile = ImageSource.of(file)) {
            for (ImageSource source : new ImageSource[] {fromFile, ImageSource.of(image)}) {
                assertThat(source.size()).isEqualTo(image.length);
                ByteBuffer direct = ByteBuffer.allocateDirect(300_000);
                direct.limit(250_001);
                source.read(700_000, direct);
                assertThat(direct.position()).isEqualTo(250_001);
                byte[] got = new byte[250_001];
                direct.flip().get(got);
                assertThat(got).isEqualTo(Arrays.copyOfRange(image, 700_000, 950_001));
                byte[] array = new byte[17];
                source.read(image.length - 17, array, 17);
                assertThat(array).isEqualTo(Arrays.copyOfRange(image, image.length - 17, image.length));
            }
        }
    }

    @Test
    void aFileThatEndsEarlyIsAnError(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("short.bin"), new byte[100]);
        try (ImageSource source = ImageSource.of(file)) {
            assertThatThrownBy(() -> source.read(50, ByteBuffer.allocateDirect(80)))
                    .isInstanceOf(IOException.class).hasMessageContaining("ended early");
        }
    }
}
