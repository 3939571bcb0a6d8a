package org.stbguest.agent.app;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * The agent process's settings: a properties file ({@code --config FILE}) and environment variables, the environment
 * winning ({@code data-dir} is {@code STB_AGENT_DATA_DIR}, {@code qemu.memory} is {@code STB_AGENT_QEMU_MEMORY}).
 * Every setting is listed, with its default, in {@link #help()}. Unknown keys in the file are an error (a typo must
 * not silently fall back to a default).
 */
public final class AgentSettings {

    /** One setting: its key, default (null: none) and what it means. */
    record Setting(String key, String defaultValue, String help) {
        String env() {
            return "STB_AGENT_" + key.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
        }
    }

    static final List<Setting> SETTINGS = List.of(
            new Setting("server", null, "the operator server's URL, e.g. https://ops.example.net/"),
            new Setting("server-ca", null, "PEM file of the CA the server's certificate must chain to (https only; "
                    + "the system's CA list is never used)"),
            new Setting("data-dir", "/var/lib/stb-agent", "all of the box's state: credentials, boot control, slots"),
            new Setting("serial", null, "the box's serial number"),
            new Setting("hardware-model", null, "the box's hardware model; images name the models they run on"),
            new Setting("roles", "entertainment", "guest roles, comma separated, each with its own A/B slot pair"),
            new Setting("trust-anchor", null, "the signed key set pinned at manufacturing (JSON, as GET "
                    + "/api/keysets/current serves it)"),
            new Setting("enrolment-secret", null, "the fleet enrolment secret, used once if the box has no token"),
            new Setting("enrolment-secret-file", null, "a file holding the fleet enrolment secret"),
            new Setting("device-id", null, "a pre-provisioned device id (with token)"),
            new Setting("token", null, "a pre-provisioned device token (with device-id)"),
            new Setting("account", null, "subscriber account, sent at enrolment"),
            new Setting("region", null, "region, sent at enrolment"),
            new Setting("tags", null, "tags, comma separated, sent at enrolment"),
            new Setting("multicast-interface", "lo", "the interface multicast is received on (always explicit)"),
            new Setting("control-group", null, "the control group for announcements; unset: check-ins only"),
            new Setting("control-port", "41999", "the control group's port"),
            new Setting("check-in-interval", "60s", "check-in interval when the server suggests none"),
            new Setting("min-check-in", "10s", "the shortest interval a server may ask for"),
            new Setting("max-check-in", "24h", "the longest interval a server may ask for"),
            new Setting("stage-timeout", "10m", "how long to listen to a transmission before repairing by unicast"),
            new Setting("boot-tries", "1", "trial boots of a new image before falling back"),
            new Setting("hypervisor", "qemu", "qemu (real guests) or simulated (every image boots healthy)"),
            new Setting("simulated.boot-time", "0s", "how long a simulated guest takes to say READY"),
            new Setting("qemu.binary", "qemu-system-x86_64", "the QEMU binary"),
            new Setting("qemu.memory", "128M", "memory per guest"),
            new Setting("qemu.ready-deadline", "30s", "how long a trial boot may take to say READY"),
            new Setting("qemu.alive-timeout", "15s", "how long a committed guest may stay silent before it counts "
                    + "as crashed"));

    private final Map<String, String> values;

    private AgentSettings(Map<String, String> values) {
        this.values = values;
    }

    /** Reads {@code file} (may be null) and the environment. */
    public static AgentSettings load(Path file, Map<String, String> env) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (Setting s : SETTINGS) {
            if (s.defaultValue() != null) {
                values.put(s.key(), s.defaultValue());
            }
        }
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            for (String key : p.stringPropertyNames()) {
                if (SETTINGS.stream().noneMatch(s -> s.key().equals(key))) {
                    throw new IllegalArgumentException(file + ": unknown setting '" + key + "' (see --help)");
                }
                values.put(key, p.getProperty(key).trim());
            }
        }
        for (Setting s : SETTINGS) {
            String v = env.get(s.env());
            if (v != null) {
                values.put(s.key(), v.trim());
            }
        }
        values.values().removeIf(String::isEmpty);
        return new AgentSettings(values);
    }

    /** The usage text: every setting, its environment variable and default. */
    public static String help() {
        StringBuilder b = new StringBuilder("""
                Usage: java -jar stb-agent.jar --config FILE
                       java -jar stb-agent.jar --help
                The set-top box agent: enrols once, checks in, receives images over multicast (unicast repair),
                boots each guest role from its A/B slots under QEMU, commits or falls back, and reports.
                Settings come from the properties FILE; an environment variable overrides each one.

                """);
        for (Setting s : SETTINGS) {
            b.append(String.format("  %-24s %-34s %s%s%n", s.key(), s.env(), s.help(),
                    s.defaultValue() == null ? "" : " (default " + s.defaultValue() + ")"));
        }
        return b.toString();
    }

    String get(String key) {
        return values.get(key);
    }

    String require(String key) {
        String v = values.get(key);
        if (v == null) {
            Setting s = SETTINGS.stream().filter(x -> x.key().equals(key)).findFirst().orElseThrow();
            throw new IllegalArgumentException("the setting '" + key + "' (" + s.env() + ") is required: " + s.help());
        }
        return v;
    }

    URI server() {
        URI u = URI.create(require("server"));
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
            throw new IllegalArgumentException("server must be an http or https URL, got " + u);
        }
        return u;
    }

    Path path(String key) {
        String v = get(key);
        return v == null ? null : Path.of(v);
    }

    List<String> list(String key) {
        String v = get(key);
        List<String> out = new ArrayList<>();
        if (v != null) {
            for (String part : v.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        return out;
    }

    int integer(String key) {
        try {
            return Integer.parseInt(require(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + get(key) + "'");
        }
    }

    UUID uuid(String key) {
        String v = get(key);
        try {
            return v == null ? null : UUID.fromString(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " must be a UUID, got '" + v + "'");
        }
    }

    Duration duration(String key) {
        return parseDuration(key, require(key));
    }

    /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 24h}, {@code 7d}, or ISO-8601 ({@code PT30S}). */
    static Duration parseDuration(String key, String v) {
        try {
            if (v.toUpperCase(Locale.ROOT).startsWith("P")) {
                return Duration.parse(v);
            }
            var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)").matcher(v);
            if (!m.matches()) {
                throw new IllegalArgumentException();
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " must be a duration such as 250ms, 30s, 5m or 24h, got '" + v
                    + "'");
        }
    }
}
