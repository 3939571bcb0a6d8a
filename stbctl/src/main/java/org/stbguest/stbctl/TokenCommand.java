package org.stbguest.stbctl;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** API tokens: for this command line, scripts, Prometheus, the headend distributor. */
@Command(name = "token", description = "Create, list and revoke API tokens.", mixinStandardHelpOptions = true,
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
final class TokenCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = {
            "Create a token for your account and print it (shown this once) on standard output alone,",
            "so it can go straight to a file: stbctl token create cli --role operator > ~/.stbctl-token",
            "It signs in with your password (--user, --password-file, STBCTL_PASSWORD) even when STBCTL_TOKEN",
            "is set: a token cannot make another."})
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server;
        @Parameters(index = "0", paramLabel = "NAME", description = "the token's name, unique among yours")
        String name;
        @Option(names = "--role", required = true,
                description = "viewer, operator, release-manager, admin (at most your own); distributor, callcenter (admins)")
        String role;
        @Option(names = "--days", description = "expires after this many days (default: until revoked)")
        Integer days;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("role", role);
            body.put("expiresInDays", days);
            JsonNode t = server.passwordApi().post("/api/tokens", body);
            spec.commandLine().getErr().println("token " + t.get("id").asLong() + " " + name + " role "
                    + t.get("role").asString() + (t.get("expiresAt").isNull() ? "" : " expires "
                    + t.get("expiresAt").asString()));
            spec.commandLine().getOut().println(t.get("token").asString());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Your tokens (an admin's: everyone's).")
    static final class ListTokens implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-6s %-24s %-16s %-16s %-8s %s%n", "ID", "NAME", "OWNER", "ROLE", "STATE", "LAST USED");
            for (JsonNode t : server.api().get("/api/tokens")) {
                String state = !t.get("revokedAt").isNull() ? "revoked" : "live";
                out.printf("%-6d %-24s %-16s %-16s %-8s %s%n", t.get("id").asLong(), t.get("name").asString(),
                        t.get("owner").asString(), t.get("role").asString(), state,
                        t.get("lastUsedAt").isNull() ? "-" : t.get("lastUsedAt").asString());
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token: its next request fails.")
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server;
        @Parameters(index = "0", paramLabel = "ID", description = "token id")
        long id;

        @Override
        public Integer call() throws Exception {
            JsonNode t = server.api().post("/api/tokens/" + id + "/revoke", Map.of());
            spec.commandLine().getOut().println("token " + t.get("id").asLong() + " " + t.get("name").asString()
                    + " revoked");
            return 0;
        }
    }
}
