package org.stbguest.stbctl;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.DetachedSignature;
import org.stbguest.image.Manifest;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.SoftwareSigner;
import org.stbguest.image.StreamingImageVerifier;
import org.stbguest.image.trust.KeySet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** Guest images: push, sign offline, verify, release, revoke. */
@Command(name = "image", description = "Push, sign, verify, release and revoke guest images.", mixinStandardHelpOptions = true,
        subcommands = {ImageCommand.Push.class, ImageCommand.Sign.class, ImageCommand.Verify.class,
                ImageCommand.Release.class, ImageCommand.Revoke.class})
final class ImageCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "push", description = "Upload an image; it becomes a draft.")
    static final class Push implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        // no standard help mixin here: its --version would collide with the image's --version
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;
        @Mixin
        ServerOptions server;
        @Parameters(index = "0", paramLabel = "FILE", description = "the guest image")
        Path file;
        @Option(names = "--role", required = true, description = "guest role, e.g. entertainment")
        String role;
        @Option(names = "--version", required = true, description = "image version (monotonic per role)")
        long version;
        @Option(names = "--security-version", defaultValue = "0", description = "anti-rollback level (default ${DEFAULT-VALUE})")
        long securityVersion;
        @Option(names = "--models", required = true, split = ",", arity = "1..*", description = "hardware models")
        List<String> models;

        @Override
        public Integer call() throws Exception {
            Api api = server.api();
            long size = Files.size(file);
            var bar = new ProgressBar(spec.commandLine().getErr(), "upload", size);
            String path = "/api/images?role=" + role + "&version=" + version + "&securityVersion=" + securityVersion
                    + "&models=" + String.join(",", models);
            JsonNode image = api.upload(path, file, bar::update);
            bar.done();
            spec.commandLine().getOut().println("image " + image.get("id").asLong() + " " + role + " v" + version
                    + " root " + image.get("rootDigest").asString() + " " + image.get("state").asString());
            return 0;
        }
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = "Sign an image's manifest with the offline release keys in --dir and upload the signatures.")
    static final class Sign implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server;
        @Parameters(index = "0", paramLabel = "ID", description = "image id")
        long id;
        @Mixin
        KeyDirOptions keyDir;
        @Option(names = "--max", defaultValue = "2147483647", description = "sign with at most this many keys")
        int max;

        @Override
        public Integer call() throws Exception {
            Api api = server.api();
            KeySet current = KeysCommand.verifiedChain(api);
            SignedManifest signed = DeviceApiJson.mapper().treeToValue(api.get("/api/images/" + id + "/manifest"),
                    SignedManifest.class);
            Manifest m = signed.unverifiedManifest();
            PrintWriter out = spec.commandLine().getOut();
            out.println("signing " + m);
            int count = 0;
            for (SoftwareSigner s : keyDir.open().load("release")) {
                if (count >= max || !current.release().byId().containsKey(s.keyId())) {
                    continue;
                }
                api.post("/api/images/" + id + "/signatures", DetachedSignature.of(s.keyId(), s.sign(signed.manifestBytes())));
                out.println("signed with release key " + s.keyId());
                count++;
            }
            if (count == 0) {
                throw new IllegalStateException("none of the keys in " + keyDir.dir + " is a release key of key set v" + current.version());
            }
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, description = {
            "Verify a local image file against its signed manifest, as a box would: key-set chain from v1, release",
            "threshold, every chunk. Exit code 0 when it verifies, 1 with the reason when not."})
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server;
        @Parameters(index = "0", paramLabel = "FILE", description = "the image file")
        Path file;
        @Option(names = "--image", required = true, description = "id of the image on the server whose manifest to check against")
        long id;

        @Override
        public Integer call() throws Exception {
            Api api = server.api();
            KeySet current = KeysCommand.verifiedChain(api);
            SignedManifest signed = DeviceApiJson.mapper().treeToValue(api.get("/api/images/" + id + "/manifest"),
                    SignedManifest.class);
            Manifest m = current.manifestVerifier().verify(signed);
            var bar = new ProgressBar(spec.commandLine().getErr(), "verify", m.size());
            var verifier = new StreamingImageVerifier(m, (i, data, len) -> { });
            byte[] buf = new byte[1 << 20];
            try (InputStream in = Files.newInputStream(file)) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    verifier.update(buf, 0, n);
                    bar.update(verifier.received());
                }
            }
            verifier.finish();
            bar.done();
            spec.commandLine().getOut().println("OK " + file + " is " + m + ", signed by " + current.release().threshold()
                    + " of the release keys of key set v" + current.version());
            return 0;
        }
    }

    /** A lifecycle transition of one image on the server. */
    abstract static class Transition implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server;
        @Parameters(index = "0", paramLabel = "ID", description = "image id")
        long id;

        abstract String action();

        @Override
        public Integer call() throws Exception {
            JsonNode n = server.api().post("/api/images/" + id + "/" + action(), java.util.Map.of());
            spec.commandLine().getOut().println("image " + id + " " + n.get("state").asString());
            return 0;
        }
    }

    @Command(name = "release", mixinStandardHelpOptions = true,
            description = "Release a draft whose signatures meet the release threshold.")
    static final class Release extends Transition {
        @Override
        String action() {
            return "release";
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke an image: never offered to a box again.")
    static final class Revoke extends Transition {
        @Override
        String action() {
            return "revoke";
        }
    }
}
