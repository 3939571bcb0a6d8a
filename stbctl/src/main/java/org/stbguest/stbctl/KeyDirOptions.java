package org.stbguest.stbctl;

import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the offline keys are and how they are unlocked. */
final class KeyDirOptions {

    @Option(names = "--dir", required = true, description = "the offline key directory")
    Path dir;

    @Option(names = "--passphrase-file", description = "file holding the key passphrase (default: $STBCTL_KEY_PASSPHRASE)")
    Path passphraseFile;

    KeyDir open() throws IOException {
        return new KeyDir(dir, KeyDir.passphrase(passphraseFile));
    }
}
