package org.stbguest.operator.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.stbguest.image.Ed25519;
import org.stbguest.image.Signer;
import org.stbguest.image.SoftwareSigner;
import org.stbguest.image.trust.KeyFiles;
import org.stbguest.operator.SecretFiles;
import org.stbguest.operator.StbProperties;

/**
 * The server's own keys, each created on first start and kept encrypted at rest in {@code <data-dir>/keys}: the
 * director key (online by design: it signs statements), a release key (one of the release keys, so uploads can be
 * signed at once), and a bootstrap root key that signs only the development key set until an operator rotates to
 * offline root keys. All are used through {@link Signer}, so a hardware module can replace them. Key material never
 * reaches a log.
 */
@Component
public class ServerKeys {

    private static final Logger log = LoggerFactory.getLogger(ServerKeys.class);

    private final SoftwareSigner root;
    private final SoftwareSigner release;
    private final SoftwareSigner director;

    ServerKeys(StbProperties props) throws IOException {
        Path dir = props.dataDir().resolve("keys");
        Files.createDirectories(dir);
        char[] passphrase = passphrase(props, dir);
        this.root = load(dir, "root", passphrase);
        this.release = load(dir, "release", passphrase);
        this.director = load(dir, "director", passphrase);
    }

    /** The bootstrap root key. */
    public Signer rootSigner() {
        return root;
    }

    /** The server's release key. */
    public Signer releaseSigner() {
        return release;
    }

    /** The director key. */
    public Signer directorSigner() {
        return director;
    }

    public PublicKey rootPublicKey() {
        return root.publicKey();
    }

    public PublicKey releasePublicKey() {
        return release.publicKey();
    }

    public PublicKey directorPublicKey() {
        return director.publicKey();
    }

    private static SoftwareSigner load(Path dir, String name, char[] passphrase) throws IOException {
        Path file = dir.resolve(name + ".key");
        Path pub = dir.resolve(name + ".pub");
        SoftwareSigner signer;
        if (Files.exists(file)) {
            PrivateKey key = Ed25519.privateKey(KeyFiles.read(file, passphrase));
            PublicKey publicKey = Ed25519.publicKey(Base64.getDecoder().decode(Files.readString(pub, StandardCharsets.US_ASCII).trim()));
            signer = new SoftwareSigner(new KeyPair(publicKey, key));
        } else {
            signer = SoftwareSigner.generate();
            KeyFiles.write(file, signer.privateKeyPkcs8(), passphrase);
            Files.writeString(pub, Base64.getEncoder().encodeToString(Ed25519.rawPublicKey(signer.publicKey())) + "\n");
            log.info("event=server_key_created name={} key_id={}", name, signer.keyId());
        }
        byte[] probe = "stb-key-check".getBytes(StandardCharsets.US_ASCII);
        if (!Ed25519.verify(signer.publicKey(), probe, signer.sign(probe))) {
            throw new IOException("key " + file + " does not match " + pub);
        }
        return signer;
    }

    private static char[] passphrase(StbProperties props, Path dir) throws IOException {
        String configured = props.keys().passphrase();
        if (configured != null && !configured.isBlank()) {
            return configured.toCharArray();
        }
        Path file = dir.resolve("passphrase");
        return SecretFiles.readOrCreate(file, 24, () -> log.warn(
                "event=key_passphrase_generated file={} hint=set STB_KEYS_PASSPHRASE in production", file)).toCharArray();
    }
}
