package org.stbguest.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.stbguest.device.api.DeviceApiJson;

/**
 * Extreme and random values thrown at every endpoint family over real HTTP: each answer is below 500 (a 4xx with a
 * problem detail, or a success), and rows appear only for requests that succeeded, each field within its bound.
 * Table-driven (the extremes each family has) plus seeded random mutations of valid requests.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class HostileInputTest {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws IOException {
        var dataDir = Files.createTempDirectory("stb-hostile-test-");
        r.add("stb.data-dir", dataDir::toString);
        r.add("stb.max-image-size", () -> "1MB");
        r.add("stb.keys.passphrase", () -> "test-passphrase");
        // the test JVM closes its contexts at exit: no graceful wait for requests a hostile test left open
        r.add("server.shutdown", () -> "immediate");
        r.add("stb.security.accounts.ops.password", () -> ApiTestSupport.quickHash("ops-secret"));
        r.add("stb.security.accounts.ops.roles", () -> "ADMIN");
        r.add("stb.security.accounts.cc.password", () -> ApiTestSupport.quickHash("cc-secret"));
        r.add("stb.security.accounts.cc.roles", () -> "CALLCENTER");
        r.add("stb.limits.reports-per-minute", () -> "100000");
    }

    /** Values that broke or could break a naive server: long, empty, odd characters, overflowing numbers. */
    static final List<String> EXTREME_STRINGS = List.of("", " ", "x".repeat(200), "y".repeat(10_000),
            "\u0000", "'; drop table device; --", "ü😀\u202e", "../../etc/passwd", "%00", "null", "-1",
            "9223372036854775808", "1e309", "NaN", "{", "\"");
    static final List<String> EXTREME_NUMBERS = List.of("-1", "0", "2147483648", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "1e30", "NaN", "\"12\"", "null", "[]", "{}", "3.5");

    @Value("${local.server.port}")
    int port;
    @Autowired
    JdbcClient jdbc;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Random random = new Random(20261203);
    private final List<String> failures = new ArrayList<>();
    private static final String OPS = HardeningApiTest.basic("ops", "ops-secret");
    private String deviceToken;
    private String serial;

    @BeforeEach
    void enrolOne() throws Exception {
        serial = "SN-HOSTILE-" + System.nanoTime();
        var r = send("POST", "/api/devices", "{\"serial\":\"" + serial + "\",\"hardwareModel\":\"stb-x1\"}", OPS, null);
        deviceToken = "Bearer " + DeviceApiJson.mapper().readTree(r.body()).get("token").asString();
    }

    @Test
    void imageEndpointsNeverAnswer5xx() throws Exception {
        long before = count("image");
        int created = 0;
        for (String role : pick(EXTREME_STRINGS, 8, List.of("ok-role"))) {
            for (String version : pick(EXTREME_NUMBERS, 4, List.of("1"))) {
                for (String models : pick(EXTREME_STRINGS, 3, List.of("stb-x1", String.join(",",
                        java.util.Collections.nCopies(300, "m"))))) {
                    String q = "/api/images?role=" + enc(role) + "&version=" + enc(version) + "&securityVersion="
                            + enc(pickOne(EXTREME_NUMBERS)) + "&models=" + enc(models);
                    var r = upload(q, random.nextInt(4) == 0 ? new byte[0] : HardeningApiTest.bytes(5000, random.nextLong()));
                    created += r.statusCode() == 201 ? 1 : 0;
                }
            }
        }
        for (String grace : EXTREME_NUMBERS) {
            send("POST", "/api/images/gc?graceMinutes=" + enc(grace), "{}", OPS, null);
        }
        for (String id : EXTREME_NUMBERS) {
            send("GET", "/api/images/" + enc(id), null, OPS, null);
            send("POST", "/api/images/" + enc(id) + "/release", "{}", OPS, null);
            send("POST", "/api/images/" + enc(id) + "/revoke", "{}", OPS, null);
            send("POST", "/api/images/" + enc(id) + "/signatures", randomJson("keyId", "signatureBase64"), OPS, null);
        }
        assertNoFailures();
        assertThat(count("image") - before).as("rows only for uploads that succeeded").isEqualTo(created);
    }

    @Test
    void deviceAndRolloutEndpointsNeverAnswer5xx() throws Exception {
        long devicesBefore = count("device");
        long rolloutsBefore = count("rollout");
        int devices = 0;
        int rollouts = 0;
        for (int i = 0; i < 50; i++) {
            var r = send("POST", "/api/devices", randomJson("serial", "hardwareModel"), OPS, null);
            devices += r.statusCode() == 201 ? 1 : 0;
            var p = send("POST", "/api/rollouts", "{\"imageId\":" + pickOne(EXTREME_NUMBERS) + ",\"complaintThreshold\":"
                    + pickOne(EXTREME_NUMBERS) + "}", OPS, null);
            rollouts += p.statusCode() == 201 ? 1 : 0;
            String id = pickOne(EXTREME_NUMBERS);
            send("POST", "/api/rollouts/" + enc(id) + "/rollback", randomJson("reason"), OPS, null);
            send("POST", "/api/rollouts/" + enc(id) + "/start", "{}", OPS, null);
            send("POST", "/api/rollouts/" + enc(id) + "/finalize", "{}", OPS, null);
            send("GET", "/api/devices/" + enc(pickOne(EXTREME_STRINGS)), null, OPS, null);
        }
        assertNoFailures();
        assertThat(count("device") - devicesBefore).isEqualTo(devices);
        assertThat(count("rollout") - rolloutsBefore).isEqualTo(rollouts);
        assertThat(jdbc.sql("select coalesce(max(length(serial)), 0) from device").query(Long.class).single())
                .isLessThanOrEqualTo(128);
    }

    @Test
    void ticketEndpointsNeverAnswer5xxAndStoreOnlyValidTickets() throws Exception {
        long before = count("ticket");
        int created = 0;
        for (int i = 0; i < 200; i++) {
            String body = i % 3 == 0
                    ? "{\"serial\":\"" + serial + "\",\"category\":" + quoted(pickOne(EXTREME_STRINGS)) + ",\"openedAt\":"
                    + pickOne(List.of("\"2099-01-01T00:00:00Z\"", "\"+999999999-12-31T23:59:59Z\"", "\"yesterday\"",
                    "0", "-1e20", "null", "\"" + java.time.Instant.now() + "\"")) + ",\"externalId\":"
                    + quoted(pickOne(EXTREME_STRINGS)) + "}"
                    : randomJson("serial", "deviceId", "category", "openedAt", "externalId");
            var r = send("POST", "/api/tickets", body, HardeningApiTest.basic("cc", "cc-secret"), null);
            created += r.statusCode() == 201 ? 1 : 0;
        }
        // a body far over the limit, declared and chunked
        send("POST", "/api/tickets", "{\"category\":\"" + "z".repeat(3 << 20) + "\"}",
                HardeningApiTest.basic("cc", "cc-secret"), null);
        assertNoFailures();
        assertThat(count("ticket") - before).isEqualTo(created);
        assertThat(jdbc.sql("select coalesce(max(length(category)), 0) from ticket").query(Long.class).single())
                .isLessThanOrEqualTo(64);
        assertThat(jdbc.sql("select count(*) from ticket where opened_at > now() + interval '10 minutes'")
                .query(Long.class).single()).isZero();
    }

    @Test
    void deviceApiEndpointsNeverAnswer5xx() throws Exception {
        long eventsBefore = count("device_event");
        int reports = 0;
        for (int i = 0; i < 150; i++) {
            String role = quoted(pickOne(EXTREME_STRINGS));
            String checkIn = switch (i % 4) {
                case 0 -> "{\"keySetVersion\":" + pickOne(EXTREME_NUMBERS) + ",\"roles\":[]}";
                case 1 -> "{\"roles\":[" + String.join(",", java.util.Collections.nCopies(random.nextInt(2000),
                        "{\"role\":\"r\",\"slots\":[]}")) + "]}";
                case 2 -> "{\"roles\":[{\"role\":" + role + ",\"activeSlot\":" + quoted(pickOne(EXTREME_STRINGS))
                        + ",\"slots\":[{\"slot\":\"C\"}]}]}";
                default -> randomJson("keySetVersion", "roles");
            };
            send("POST", "/api/device/check-in", checkIn, deviceToken, null);
            String report = "{\"type\":" + quoted(pickOne(List.of("STAGED", "REFUSED", "BOGUS", "")))
                    + ",\"role\":" + role + ",\"detail\":" + quoted("d".repeat(random.nextInt(5000))) + ",\"digest\":"
                    + quoted(pickOne(EXTREME_STRINGS)) + "}";
            reports += send("POST", "/api/device/reports", report, deviceToken, null).statusCode() == 202 ? 1 : 0;
            String digest = pickOne(List.of("0".repeat(64), pickOne(EXTREME_STRINGS)));
            send("GET", "/api/device/images/" + enc(digest), null, deviceToken, pickOne(List.of("bytes=0-1",
                    "bytes=-0", "bytes=9223372036854775807-", "bytes=5-1", "bytes=1-2,3-4", "items=0-1",
                    "bytes=-9223372036854775808", "bytes=--")));
            send("GET", "/api/device/images/" + "0".repeat(64) + "/chunks/" + enc(pickOne(EXTREME_NUMBERS)), null,
                    deviceToken, null);
        }
        send("POST", "/api/device/check-in", "[" + "1,".repeat(2 << 20) + "1]", deviceToken, null);
        assertNoFailures();
        assertThat(count("device_event") - eventsBefore).isEqualTo(reports);
        assertThat(jdbc.sql("select coalesce(max(length(detail)), 0) from device_event").query(Long.class).single())
                .isLessThanOrEqualTo(1000);
        assertThat(jdbc.sql("select count(*) from device_role_state").query(Long.class).single())
                .as("no role rows from refused check-ins").isLessThanOrEqualTo(16);
    }

    @Test
    void keySetAndAuditEndpointsNeverAnswer5xx() throws Exception {
        long before = count("key_set");
        for (int i = 0; i < 60; i++) {
            send("POST", "/api/keysets", randomJson("keySetBase64", "signatures"), OPS, null);
            send("POST", "/api/keysets/cosign", randomJson("keySetBase64", "signatures"), OPS, null);
            send("GET", "/api/audit?limit=" + enc(pickOne(EXTREME_NUMBERS)), null, OPS, null);
            send("GET", "/api/keysets/" + enc(pickOne(EXTREME_STRINGS)), null, null, null);
        }
        assertNoFailures();
        assertThat(count("key_set")).isEqualTo(before);
    }

    // ---- helpers

    private HttpResponse<String> send(String method, String path, String body, String auth, String range)
            throws Exception {
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
        } catch (IllegalArgumentException e) {
            return null; // not even a URI: nothing a client could send
        }
        if (auth != null) {
            b.header("Authorization", auth);
        }
        if (range != null) {
            b.header("Range", range);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = sendWithOneRetry(b.build());
        check(method + " " + path.substring(0, Math.min(path.length(), 120)), r);
        return r;
    }

    private HttpResponse<String> upload(String query, byte[] image) throws Exception {
        HttpResponse<String> r;
        try {
            r = sendWithOneRetry(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + query))
                    .header("Authorization", OPS).header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build());
        } catch (IllegalArgumentException e) {
            return null;
        }
        check("upload " + query.substring(0, Math.min(query.length(), 120)), r);
        return r;
    }

    /**
     * A server may close a kept-alive connection after refusing a request (as Tomcat does after a header that is too
     * large); a client that finds the connection closed sends once more, as any HTTP client would.
     */
    private HttpResponse<String> sendWithOneRetry(HttpRequest request) throws Exception {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    private void check(String what, HttpResponse<String> r) {
        if (r.statusCode() >= 500) {
            failures.add(what + " -> " + r.statusCode() + " " + r.body().substring(0, Math.min(300, r.body().length())));
        } else if (r.statusCode() >= 400 && r.statusCode() != 416
                && !r.headers().firstValue("Content-Type").orElse("").contains("problem+json")) {
            failures.add(what + " -> " + r.statusCode() + " without a problem detail: "
                    + r.headers().firstValue("Content-Type").orElse("(no type)"));
        }
    }

    private void assertNoFailures() {
        assertThat(failures).as("answers that were 5xx or errors without a problem detail").isEmpty();
    }

    private long count(String table) {
        return jdbc.sql("select count(*) from " + table).query(Long.class).single();
    }

    /** A JSON object with these fields, each a random extreme string, number, array, object or null. */
    private String randomJson(String... fields) {
        StringBuilder sb = new StringBuilder("{");
        for (String f : fields) {
            if (random.nextInt(5) == 0) {
                continue;
            }
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(f).append("\":");
            sb.append(switch (random.nextInt(5)) {
                case 0 -> quoted(pickOne(EXTREME_STRINGS));
                case 1 -> pickOne(EXTREME_NUMBERS);
                case 2 -> "[" + quoted(pickOne(EXTREME_STRINGS)) + "]";
                case 3 -> "{\"a\":" + pickOne(EXTREME_NUMBERS) + "}";
                default -> "null";
            });
        }
        return random.nextInt(20) == 0 ? sb.substring(0, sb.length() / 2) : sb.append('}').toString();
    }

    private static String quoted(String s) {
        return DeviceApiJson.mapper().writeValueAsString(s);
    }

    private String pickOne(List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    private List<String> pick(List<String> values, int n, List<String> always) {
        List<String> out = new ArrayList<>(always);
        for (int i = 0; i < n; i++) {
            out.add(pickOne(values));
        }
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
