package org.stbguest.operator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/** Development-time secrets the server makes for itself: random, in a file only its owner can read, never logged. */
public final class SecretFiles {

    private SecretFiles() {
    }

    /**
     * The secret in {@code file}, creating it with {@code randomBytes} random bytes (URL-safe base64, mode 0600) when
     * it does not exist yet; {@code onCreate} runs once, when the file is made (to log where it is, never what).
     */
    public static String readOrCreate(Path file, int randomBytes, Runnable onCreate) throws IOException {
        if (!Files.exists(file)) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] random = new byte[randomBytes];
            new SecureRandom().nextBytes(random);
            Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "\n",
                    StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
            onCreate.run();
        }
        return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
}
