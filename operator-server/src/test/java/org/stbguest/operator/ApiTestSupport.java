package org.stbguest.operator;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.springframework.beans.factory.annotation.Value;
import org.stbguest.device.api.DeviceApiJson;
import tools.jackson.databind.JsonNode;

/** What the API tests share: plain HTTP calls to the server the test started, with or without credentials. */
abstract class ApiTestSupport {

    @Value("${local.server.port}")
    protected int port;

    protected final HttpClient http = HttpClient.newHttpClient();

    protected URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** A request to {@code path} carrying {@code auth} as its Authorization header, when not null. */
    protected HttpRequest.Builder request(String path, String auth) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return b;
    }

    protected HttpResponse<String> get(String path, String auth) throws Exception {
        return http.send(request(path, auth).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    protected HttpResponse<String> post(String path, String json, String auth) throws Exception {
        return http.send(request(path, auth).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A test account's password as a bcrypt hash of the lowest cost: the server checks the password of every request
     * that logs in with it, and at the default cost that is most of the time of a test that makes a thousand calls.
     * (An account given in plain text is hashed at the default cost at start: {@code HardeningApiTest}'s victim.)
     */
    static String quickHash(String password) {
        return "{bcrypt}" + new org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder(4).encode(password);
    }

    protected static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    protected static JsonNode json(HttpResponse<String> r) {
        return DeviceApiJson.mapper().readTree(r.body());
    }
}
