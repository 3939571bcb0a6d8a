package org.stbguest.simulator;

import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.stbguest.operator.OperatorServerApplication;

/**
 * The real operator server, started in this JVM on its embedded PostgreSQL, on a random loopback port, with
 * freshly generated account passwords. Console logging is kept to warnings; the full log goes to a file.
 */
final class EmbeddedServer implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ConfigurableApplicationContext context;
    final URI uri;
    final String adminPassword = secret();
    final String distributorPassword = secret();
    final String callCenterPassword = secret();

    EmbeddedServer(Path dataDir, Path logFile, Map<String, Object> extra) {
        // the demo authenticates on every poll; a low bcrypt cost keeps that cheap (servers use the default cost)
        var encoder = new BCryptPasswordEncoder(4);
        Map<String, Object> p = new HashMap<>();
        p.put("server.port", "0");
        p.put("server.address", "127.0.0.1");
        p.put("stb.data-dir", dataDir.toString());
        p.put("stb.check-in-interval", "500ms");
        p.put("stb.rollout-tick", "500ms");
        p.put("stb.guard.interval", "500ms");
        // the demo's boxes check in every 500 ms, and at once when an announcement comes
        p.put("stb.limits.check-ins-per-minute", "1200");
        p.put("stb.keys.passphrase", secret());
        account(p, "admin", encoder.encode(adminPassword), "ADMIN");
        account(p, "distributor", encoder.encode(distributorPassword), "DISTRIBUTOR");
        account(p, "callcenter", encoder.encode(callCenterPassword), "CALLCENTER");
        p.put("spring.main.banner-mode", "off");
        p.put("logging.file.name", logFile.toString());
        p.put("logging.threshold.console", "ERROR");
        p.putAll(extra);
        this.context = new SpringApplicationBuilder(OperatorServerApplication.class).properties(p).run();
        Integer port = context.getEnvironment().getProperty("local.server.port", Integer.class);
        String scheme = p.containsKey("server.ssl.bundle") ? "https" : "http";
        this.uri = URI.create(scheme + "://127.0.0.1:" + port + "/");
    }

    private static void account(Map<String, Object> p, String name, String hash, String role) {
        p.put("stb.security.accounts." + name + ".password", "{bcrypt}" + hash);
        p.put("stb.security.accounts." + name + ".roles", role);
    }

    private static String secret() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The server's own database access (benchmarks bulk-load devices with it). */
    org.springframework.jdbc.core.JdbcTemplate jdbc() {
        return context.getBean(org.springframework.jdbc.core.JdbcTemplate.class);
    }

    /** One of the server's beans (tests). */
    <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    @Override
    public void close() {
        if (context.isActive()) {
            context.close();
        }
    }
}
