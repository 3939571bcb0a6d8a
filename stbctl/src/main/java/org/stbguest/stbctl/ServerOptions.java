package org.stbguest.stbctl;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the operator server is and who we are. The password never comes from the command line. */
final class ServerOptions {

    @Option(names = "--server", description = "operator server (default: $STB_SERVER_URL or http://127.0.0.1:8080)")
    String server;

    @Option(names = "--user", description = "operator account (default: $STBCTL_USER or admin)")
    String user;

    @Option(names = "--password-file", description = "file holding the password (default: $STBCTL_PASSWORD)")
    Path passwordFile;

    Api api() throws IOException {
        String url = server != null ? server : System.getenv().getOrDefault("STB_SERVER_URL", "http://127.0.0.1:8080");
        String who = user != null ? user : System.getenv().getOrDefault("STBCTL_USER", "admin");
        String password = passwordFile != null ? Files.readString(passwordFile).trim() : System.getenv("STBCTL_PASSWORD");
        return new Api(URI.create(url.endsWith("/") ? url : url + "/"), who, password);
    }
}
