package org.stbguest.stbctl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.stbguest.image.Ed25519;
import org.stbguest.image.SoftwareSigner;
import org.stbguest.image.trust.KeyFiles;

/**
 * Offline keys on the operator's machine: {@code root/} and {@code release/}, one encrypted {@code <keyid>.key}
 * (AES-256-GCM under the passphrase in {@code STBCTL_KEY_PASSPHRASE}) and one {@code <keyid>.pub} per key; keys
 * replaced in a rotation move to {@code retired/}.
 */
final class KeyDir {

    private final Path dir;
    private final char[] passphrase;

    KeyDir(Path dir, char[] passphrase) {
        this.dir = dir;
        this.passphrase = passphrase;
    }

    /** The passphrase from {@code file} if given, else from {@code STBCTL_KEY_PASSPHRASE}. */
    static char[] passphrase(Path file) throws IOException {
        String p = file != null ? Files.readString(file).trim() : System.getenv("STBCTL_KEY_PASSPHRASE");
        if (p == null || p.isBlank()) {
            throw new IllegalStateException("set STBCTL_KEY_PASSPHRASE (or --passphrase-file): it encrypts the offline keys at rest");
        }
        return p.toCharArray();
    }

    boolean hasKeys() throws IOException {
        return !list("root").isEmpty() || !list("release").isEmpty();
    }

    SoftwareSigner generate(String role) throws IOException {
        SoftwareSigner s = SoftwareSigner.generate();
        save(role, s);
        return s;
    }

    void save(String role, SoftwareSigner s) throws IOException {
        Path roleDir = dir.resolve(role);
        Files.createDirectories(roleDir);
        KeyFiles.write(roleDir.resolve(s.keyId().hex() + ".key"), s.privateKeyPkcs8(), passphrase);
        Files.writeString(roleDir.resolve(s.keyId().hex() + ".pub"),
                Base64.getEncoder().encodeToString(Ed25519.rawPublicKey(s.publicKey())) + "\n");
    }

    List<SoftwareSigner> load(String role) throws IOException {
        List<SoftwareSigner> out = new ArrayList<>();
        for (Path pub : list(role)) {
            String id = pub.getFileName().toString().replace(".pub", "");
            var publicKey = Ed25519.publicKey(Base64.getDecoder().decode(Files.readString(pub, StandardCharsets.US_ASCII).trim()));
            var privateKey = Ed25519.privateKey(KeyFiles.read(pub.resolveSibling(id + ".key"), passphrase));
            out.add(new SoftwareSigner(new KeyPair(publicKey, privateKey)));
        }
        return out;
    }

    /** Moves every key of a role to {@code retired/<role>/}. */
    void retire(String role) throws IOException {
        Path target = dir.resolve("retired").resolve(role);
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(dir.resolve(role))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.move(p, target.resolve(p.getFileName()));
            }
        }
    }

    private List<Path> list(String role) throws IOException {
        Path roleDir = dir.resolve(role);
        if (!Files.isDirectory(roleDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(roleDir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".pub")).sorted().toList();
        }
    }
}
