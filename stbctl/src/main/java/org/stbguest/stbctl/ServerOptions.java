package org.stbguest.stbctl;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the operator server is and who we are: an API token ({@code --token-file} or {@code $STBCTL_TOKEN}), else an
 * account and its password ({@code --password-file} or {@code $STBCTL_PASSWORD}). Secrets never come from the command
 * line.
 */
final class ServerOptions {

    @Option(names = "--server", description = "operator server (default: $STB_SERVER_URL or http://127.0.0.1:8080)")
    String server;

    @Option(names = "--user", description = "operator account (default: $STBCTL_USER or admin)")
    String user;

    @Option(names = "--password-file", description = "file holding the password (default: $STBCTL_PASSWORD)")
    Path passwordFile;

    @Option(names = "--token-file", description = "file holding an API token (default: $STBCTL_TOKEN); wins over a password")
    Path tokenFile;

    Api api() throws IOException {
        String url = server != null ? server : System.getenv().getOrDefault("STB_SERVER_URL", "http://127.0.0.1:8080");
        String token = tokenFile != null ? Files.readString(tokenFile).trim() : System.getenv("STBCTL_TOKEN");
        if (token != null && !token.isBlank()) {
            return Api.withToken(URI.create(url.endsWith("/") ? url : url + "/"), token);
        }
        return passwordApi();
    }

    /**
     * The server, signed in with the account's password even when {@code $STBCTL_TOKEN} is set: for what a token may
     * not do (making tokens). An explicit {@code --token-file} is still used, and the server says why it refuses.
     */
    Api passwordApi() throws IOException {
        if (tokenFile != null) {
            return api();
        }
        String url = server != null ? server : System.getenv().getOrDefault("STB_SERVER_URL", "http://127.0.0.1:8080");
        String who = user != null ? user : System.getenv().getOrDefault("STBCTL_USER", "admin");
        String password = passwordFile != null ? Files.readString(passwordFile).trim() : System.getenv("STBCTL_PASSWORD");
        return new Api(URI.create(url.endsWith("/") ? url : url + "/"), who, password);
    }
}
