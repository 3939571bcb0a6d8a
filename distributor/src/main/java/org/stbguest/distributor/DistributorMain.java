package org.stbguest.distributor;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.stbguest.multicast.MulticastSettings;

/**
 * Runs the headend distributor as its own process. Settings come from environment variables (see {@link #USAGE});
 * the token (or password) only from the environment, so it never shows in a process list.
 */
public final class DistributorMain {

    static final String USAGE = """
            Usage: distributor [--help]
            Pushes the operator server's transmissions onto UDP multicast.
            Environment:
              STB_SERVER_URL              operator server (default http://127.0.0.1:8080)
              STB_DISTRIBUTOR_TOKEN       API token with the DISTRIBUTOR role (an admin makes one:
                                          POST /api/tokens {"name":"headend-1","role":"distributor"})
              STB_DISTRIBUTOR_TOKEN_FILE  or a file holding it
              STB_DISTRIBUTOR_USER        or, without a token: an account with the DISTRIBUTOR role
              STB_DISTRIBUTOR_PASSWORD    and its password
              STB_MULTICAST_INTERFACE     interface to send on, always explicit (default lo)
              STB_CONTROL_GROUP           control group (default 239.255.42.1)
              STB_CONTROL_PORT            control port (default 41999)
              STB_WORK_DIR                where images are kept while on the air (default ./distributor-work)
            Multicast is always sent with TTL 1.
            """;

    private DistributorMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0) {
            System.out.print(USAGE);
            System.exit("--help".equals(args[0]) || "-h".equals(args[0]) ? 0 : 2);
        }
        Map<String, String> env = System.getenv();
        String token = env.get("STB_DISTRIBUTOR_TOKEN");
        if ((token == null || token.isBlank()) && env.get("STB_DISTRIBUTOR_TOKEN_FILE") != null) {
            token = java.nio.file.Files.readString(Path.of(env.get("STB_DISTRIBUTOR_TOKEN_FILE"))).trim();
        }
        String password = env.get("STB_DISTRIBUTOR_PASSWORD");
        boolean byToken = token != null && !token.isBlank();
        if (!byToken && (password == null || password.isBlank())) {
            System.err.println("STB_DISTRIBUTOR_TOKEN (or STB_DISTRIBUTOR_PASSWORD) is required\n\n" + USAGE);
            System.exit(2);
        }
        var config = new DistributorConfig(URI.create(env.getOrDefault("STB_SERVER_URL", "http://127.0.0.1:8080")),
                byToken ? null : env.getOrDefault("STB_DISTRIBUTOR_USER", "distributor"), byToken ? token : password,
                MulticastSettings.onInterface(env.getOrDefault("STB_MULTICAST_INTERFACE", "lo")),
                env.getOrDefault("STB_CONTROL_GROUP", DistributorConfig.DEFAULT_CONTROL_GROUP),
                Integer.parseInt(env.getOrDefault("STB_CONTROL_PORT", Integer.toString(DistributorConfig.DEFAULT_CONTROL_PORT))),
                Path.of(env.getOrDefault("STB_WORK_DIR", "distributor-work")), Duration.ofSeconds(1), 10_000,
                Duration.ofHours(6));
        var service = new DistributorService(config, HttpClient.newHttpClient());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stop.countDown();
        }));
        service.start();
        stop.await();
    }
}
