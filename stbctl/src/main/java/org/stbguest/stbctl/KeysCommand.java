package org.stbguest.stbctl;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.Ed25519;
import org.stbguest.image.KeyId;
import org.stbguest.image.Signer;
import org.stbguest.image.SoftwareSigner;
import org.stbguest.image.trust.KeySet;
import org.stbguest.image.trust.KeySetChain;
import org.stbguest.image.trust.RoleKeys;
import org.stbguest.image.trust.SignedKeySet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** Offline keys and key-set rotation. */
@Command(name = "keys", description = "Create offline keys, rotate the key set, list it.", mixinStandardHelpOptions = true,
        subcommands = {KeysCommand.Init.class, KeysCommand.Rotate.class, KeysCommand.ListKeys.class})
final class KeysCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create offline root and release keys in a directory (encrypted with $STBCTL_KEY_PASSPHRASE).")
    static final class Init implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        KeyDirOptions keyDir;
        @Option(names = "--root-keys", defaultValue = "3", description = "number of root keys (default ${DEFAULT-VALUE})")
        int rootKeys;
        @Option(names = "--release-keys", defaultValue = "3", description = "number of release keys (default ${DEFAULT-VALUE})")
        int releaseKeys;

        @Override
        public Integer call() throws Exception {
            KeyDir keys = keyDir.open();
            if (keys.hasKeys()) {
                throw new IllegalStateException(keyDir.dir + " already holds keys; use 'keys rotate' to replace them");
            }
            PrintWriter out = spec.commandLine().getOut();
            for (int i = 0; i < rootKeys; i++) {
                out.println("root    " + keys.generate("root").keyId());
            }
            for (int i = 0; i < releaseKeys; i++) {
                out.println("release " + keys.generate("release").keyId());
            }
            out.println("created " + rootKeys + " root and " + releaseKeys + " release keys in " + keyDir.dir
                    + "; next: stbctl keys rotate --dir " + keyDir.dir);
            return 0;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true, description = {
            "Publish the next key set: root and release keys from --dir, the server's director key.",
            "Signed by a threshold of the current root keys (local ones, or the server's bootstrap root key when the",
            "server still runs its development key set) and by a threshold of the new root keys."})
    static final class Rotate implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server;
        @Mixin
        KeyDirOptions keyDir;
        @Option(names = "--root-threshold", defaultValue = "2", description = "root signatures needed (default ${DEFAULT-VALUE})")
        int rootThreshold;
        @Option(names = "--release-threshold", defaultValue = "2", description = "release signatures needed (default ${DEFAULT-VALUE})")
        int releaseThreshold;
        @Option(names = "--new-root", description = "replace the root keys with freshly generated ones")
        boolean newRoot;
        @Option(names = "--new-root-keys", defaultValue = "3", description = "how many, with --new-root (default ${DEFAULT-VALUE})")
        int newRootKeys;
        @Option(names = "--include-server-release-key", description = "keep the server's release key as one release key, so uploads arrive signed once")
        boolean includeServerRelease;
        @Option(names = "--valid-days", defaultValue = "365", description = "lifetime of the new key set (default ${DEFAULT-VALUE})")
        int validDays;

        @Override
        public Integer call() throws Exception {
            Api api = server.api();
            KeyDir keys = keyDir.open();
            KeySet current = verifiedChain(api);
            List<SoftwareSigner> oldRoot = keys.load("root");
            List<SoftwareSigner> newRootSigners = oldRoot;
            if (newRoot) {
                newRootSigners = new ArrayList<>();
                for (int i = 0; i < newRootKeys; i++) {
                    newRootSigners.add(SoftwareSigner.generate());
                }
            }
            List<SoftwareSigner> release = keys.load("release");
            if (newRootSigners.isEmpty() || release.isEmpty()) {
                throw new IllegalStateException(keyDir.dir + " has no root or release keys; run 'stbctl keys init' first");
            }
            JsonNode serverKeys = api.get("/api/keys/server");
            List<PublicKey> releaseKeys = new ArrayList<>(release.stream().map(SoftwareSigner::publicKey).toList());
            if (includeServerRelease) {
                releaseKeys.add(publicKey(serverKeys.get("release")));
            }
            KeySet next = new KeySet(current.version() + 1, Instant.now().plus(Duration.ofDays(validDays)),
                    new RoleKeys(Math.min(rootThreshold, newRootSigners.size()), newRootSigners.stream().map(SoftwareSigner::publicKey).toList()),
                    new RoleKeys(Math.min(releaseThreshold, releaseKeys.size()), releaseKeys),
                    new RoleKeys(1, List.of(publicKey(serverKeys.get("director")))));

            // a threshold of the current root keys (those we hold) and of the next root keys must sign
            Set<KeyId> currentRoot = current.root().byId().keySet();
            java.util.Map<KeyId, Signer> signers = new java.util.LinkedHashMap<>();
            oldRoot.stream().filter(s -> currentRoot.contains(s.keyId())).forEach(s -> signers.put(s.keyId(), s));
            newRootSigners.forEach(s -> signers.put(s.keyId(), s));
            SignedKeySet signed = SignedKeySet.sign(next, signers.values().toArray(Signer[]::new));
            if (currentRoot.contains(KeyId.parse(serverKeys.get("root").get("keyId").asString()))) {
                signed = DeviceApiJson.mapper().treeToValue(api.post("/api/keysets/cosign", signed), SignedKeySet.class);
            }
            KeySetChain.next(current, signed, Instant.now()); // check locally before publishing
            api.post("/api/keysets", signed);
            if (newRoot) {
                keys.retire("root");
                for (SoftwareSigner s : newRootSigners) {
                    persist(keys, s);
                }
            }
            spec.commandLine().getOut().println("published key set v" + next.version() + ": root "
                    + next.root().threshold() + "/" + next.root().keys().size() + ", release "
                    + next.release().threshold() + "/" + next.release().keys().size() + ", expires " + next.expires());
            return 0;
        }

        /** New root keys live only in memory until the rotation is published, so a failure leaves the directory as it was. */
        private static void persist(KeyDir keys, SoftwareSigner s) throws java.io.IOException {
            keys.save("root", s);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Verify the server's key-set chain from v1 and list the current keys.")
    static final class ListKeys implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server;

        @Override
        public Integer call() throws Exception {
            Api api = server.api();
            KeySet k = verifiedChain(api);
            PrintWriter out = spec.commandLine().getOut();
            out.println("key set v" + k.version() + " (chain verified from v1), expires " + k.expires());
            print(out, "root", k.root());
            print(out, "release", k.release());
            print(out, "director", k.director());
            return 0;
        }

        private static void print(PrintWriter out, String role, RoleKeys keys) {
            out.println(role + " (" + keys.threshold() + " of " + keys.keys().size() + "): "
                    + keys.keys().stream().map(pk -> KeyId.of(pk).hex()).collect(Collectors.joining(" ")));
        }
    }

    /** Fetches the chain and verifies it from its first key set (trust on first use for the operator's tool). */
    static KeySet verifiedChain(Api api) throws Exception {
        List<SignedKeySet> chain = api.keySets();
        if (chain.isEmpty()) {
            throw new IllegalStateException("the server has no key set");
        }
        return KeySetChain.follow(KeySetChain.anchor(chain.get(0)), chain, Instant.now());
    }

    static PublicKey publicKey(JsonNode keyView) {
        return Ed25519.publicKey(Base64.getDecoder().decode(keyView.get("publicKeyBase64").asString()));
    }
}
