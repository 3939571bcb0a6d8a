package org.stbguest.operator.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.stbguest.image.Ed25519;
import org.stbguest.image.KeyId;
import org.stbguest.image.Signer;
import org.stbguest.image.SoftwareSigner;
import org.stbguest.operator.StbProperties;

/**
 * The server's release key: created on first start, kept encrypted at rest in {@code <data-dir>/keys/release.key},
 * used only through the {@link Signer} interface (so a hardware module can replace it). Key material never reaches
 * a log.
 */
@Component
public class ServerKeys {

    private static final Logger log = LoggerFactory.getLogger(ServerKeys.class);

    private final SoftwareSigner release;

    ServerKeys(StbProperties props) throws IOException {
        Path dir = props.dataDir().resolve("keys");
        Files.createDirectories(dir);
        char[] passphrase = passphrase(props, dir);
        Path file = dir.resolve("release.key");
        if (Files.exists(file)) {
            PrivateKey key = Ed25519.privateKey(EncryptedKeyFile.read(file, passphrase));
            PublicKey pub = Ed25519.publicKey(Base64.getDecoder().decode(
                    Files.readString(dir.resolve("release.pub"), StandardCharsets.US_ASCII).trim()));
            this.release = new SoftwareSigner(new KeyPair(pub, key));
        } else {
            this.release = SoftwareSigner.generate();
            EncryptedKeyFile.write(file, release.privateKeyPkcs8(), passphrase);
            Files.writeString(dir.resolve("release.pub"),
                    Base64.getEncoder().encodeToString(Ed25519.rawPublicKey(release.publicKey())) + "\n");
            log.info("event=release_key_created key_id={}", release.keyId());
        }
        byte[] probe = "stb-key-check".getBytes(StandardCharsets.US_ASCII);
        if (!Ed25519.verify(release.publicKey(), probe, release.sign(probe))) {
            throw new IOException("release key in " + file + " does not match release.pub");
        }
    }

    /** Signs manifests. */
    public Signer releaseSigner() {
        return release;
    }

    /** The public half of the release key, which boxes pin. */
    public PublicKey releasePublicKey() {
        return release.publicKey();
    }

    public KeyId releaseKeyId() {
        return release.keyId();
    }

    private static char[] passphrase(StbProperties props, Path dir) throws IOException {
        String configured = props.keys().passphrase();
        if (configured != null && !configured.isBlank()) {
            return configured.toCharArray();
        }
        Path file = dir.resolve("passphrase");
        if (!Files.exists(file)) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            Files.writeString(file, Base64.getEncoder().encodeToString(random) + "\n");
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
            log.warn("event=key_passphrase_generated file={} hint=set STB_KEYS_PASSPHRASE in production", file);
        }
        return Files.readString(file).trim().toCharArray();
    }
}
