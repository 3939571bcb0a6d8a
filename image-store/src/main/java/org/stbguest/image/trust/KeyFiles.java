package org.stbguest.image.trust;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A private key encrypted at rest: PKCS#8 bytes sealed with AES-256-GCM under a key derived from a passphrase by
 * PBKDF2-HMAC-SHA256. Layout: magic "STBK", version 1, iterations (int), salt (16), nonce (12), ciphertext+tag.
 * A wrong passphrase or a tampered file fails authentication and is reported as such.
 */
public final class KeyFiles {

    private static final int MAGIC = 0x5354424B;
    private static final int ITERATIONS = 210_000;

    private KeyFiles() {
    }

    /** Seals PKCS#8 bytes under a passphrase and writes them atomically. */
    public static void write(Path file, byte[] pkcs8, char[] passphrase) throws IOException {
        byte[] salt = random(16);
        byte[] nonce = random(12);
        byte[] sealed = crypt(Cipher.ENCRYPT_MODE, pkcs8, passphrase, salt, nonce, ITERATIONS);
        ByteBuffer out = ByteBuffer.allocate(4 + 1 + 4 + 16 + 12 + sealed.length);
        out.putInt(MAGIC).put((byte) 1).putInt(ITERATIONS).put(salt).put(nonce).put(sealed);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, out.array());
        try {
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Opens a key file; a wrong passphrase or a tampered file is an {@link IOException} saying so. */
    public static byte[] read(Path file, char[] passphrase) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
        if (in.remaining() < 4 + 1 + 4 + 16 + 12 + 16 || in.getInt() != MAGIC || in.get() != 1) {
            throw new IOException("key file " + file + " is not an STB key file");
        }
        int iterations = in.getInt();
        byte[] salt = new byte[16];
        byte[] nonce = new byte[12];
        in.get(salt).get(nonce);
        byte[] sealed = new byte[in.remaining()];
        in.get(sealed);
        try {
            return crypt(Cipher.DECRYPT_MODE, sealed, passphrase, salt, nonce, iterations);
        } catch (IllegalStateException e) {
            throw new IOException("cannot open key file " + file + ": wrong passphrase or tampered file");
        }
    }

    private static byte[] crypt(int mode, byte[] data, char[] passphrase, byte[] salt, byte[] nonce, int iterations) {
        try {
            var spec = new PBEKeySpec(passphrase, salt, iterations, 256);
            byte[] keyBytes = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            spec.clearPassword();
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(keyBytes, "AES"), new GCMParameterSpec(128, nonce));
            Arrays.fill(keyBytes, (byte) 0);
            c.updateAAD(new byte[] {'S', 'T', 'B', 'K'});
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("key file crypto failed", e);
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
