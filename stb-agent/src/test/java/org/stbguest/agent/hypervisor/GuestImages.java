package org.stbguest.agent.hypervisor;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The test guest images that {@code guest-images/build.sh} makes (built on first use when missing), and the rule for
 * tests that boot them: they skip, saying why, only where QEMU is not installed, and never in CI.
 */
public final class GuestImages {

    private static final Path QEMU = Path.of("qemu-system-x86_64");
    private static Path dir;

    private GuestImages() {
    }

    /** Skips the calling test when QEMU is missing outside CI; fails it in CI. */
    public static void requireQemu() {
        boolean present = QemuHypervisor.available(QEMU);
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("qemu-system-x86_64 is missing in CI: .ci/run installs qemu-system-x86");
        }
        assumeTrue(present, "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86); "
                + "the QEMU boot tests need it");
    }

    /** An image file, e.g. {@code image("entertainment", 2, "healthy")}; builds the set once if needed. */
    public static synchronized Path image(String name, long version, String mode) throws IOException,
            InterruptedException {
        if (dir == null) {
            Path root = Path.of("").toAbsolutePath();
            while (root != null && !Files.isDirectory(root.resolve("guest-images"))) {
                root = root.getParent();
            }
            if (root == null) {
                throw new AssertionError("guest-images/ not found above " + Path.of("").toAbsolutePath());
            }
            Path out = root.resolve("guest-images/out");
            Process p = new ProcessBuilder("bash", root.resolve("guest-images/build.sh").toString(), out.toString())
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new AssertionError("guest-images/build.sh failed:\n" + output);
            }
            dir = out;
        }
        Path file = dir.resolve(name + "-" + version + "-" + mode + ".img");
        if (!Files.isRegularFile(file)) {
            throw new AssertionError("no test guest image " + file);
        }
        return file;
    }
}
