package org.stbguest.agent.app;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.agent.disk.Disk;
import org.stbguest.agent.disk.StateFile;
import org.stbguest.device.api.DeviceApi;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.Enrollment;

/**
 * The box's credentials: its device id and its own token, kept in the data directory ({@code credentials.0/.1}).
 * Obtained once: from pre-provisioned settings, or by enrolling with the fleet enrolment secret, retried with a
 * growing delay while the server cannot be reached. A refusal (wrong secret, a serial already in service) is final and
 * said plainly. The token is never logged.
 */
final class Enrolment {

    private static final Logger log = LoggerFactory.getLogger(Enrolment.class);
    private static final int MAX_ANSWER_BYTES = 64 << 10;

    /** A device id and its token. */
    record Credentials(UUID deviceId, String token) {
        @Override
        public String toString() {
            return "Credentials[deviceId=" + deviceId + ", token=***]";
        }
    }

    /** The server said no for good: the process should stop with this message. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private Enrolment() {
    }

    static Credentials obtain(AgentSettings s, Disk disk, Path dataDir, HttpClient http, BooleanSupplier stopping)
            throws IOException, InterruptedException, Refused {
        StateFile file = new StateFile(disk, dataDir, "credentials");
        Optional<byte[]> saved = file.load();
        if (saved.isPresent()) {
            return DeviceApiJson.mapper().readValue(saved.get(), Credentials.class);
        }
        UUID id = s.uuid("device-id");
        String token = s.get("token");
        if (id != null || token != null) {
            if (id == null || token == null) {
                throw new IllegalArgumentException("device-id and token are pre-provisioned together, or neither");
            }
            Credentials c = new Credentials(id, token);
            file.save(DeviceApiJson.mapper().writeValueAsBytes(c));
            return c;
        }
        String secret = secret(s);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("serial", s.require("serial"));
        body.put("hardwareModel", s.require("hardware-model"));
        body.put("account", s.get("account"));
        body.put("region", s.get("region"));
        body.put("tags", s.list("tags"));
        URI uri = s.server().resolve(DeviceApi.ENROLMENT);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + secret).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(DeviceApiJson.mapper().writeValueAsBytes(body))).build();
        long delay = 1000;
        for (int attempt = 1; !stopping.getAsBoolean(); attempt++) {
            try {
                HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                byte[] answer;
                try (InputStream in = r.body()) {
                    answer = in.readNBytes(MAX_ANSWER_BYTES);
                }
                if (r.statusCode() == 201) {
                    Enrollment e = DeviceApiJson.mapper().readValue(answer, Enrollment.class);
                    Credentials c = new Credentials(e.deviceId(), e.token());
                    file.save(DeviceApiJson.mapper().writeValueAsBytes(c));
                    log.info("event=enrolled device={} serial={}", e.deviceId(), e.serial());
                    return c;
                }
                String detail = new String(answer, StandardCharsets.UTF_8);
                if (r.statusCode() == 401 || r.statusCode() == 403) {
                    throw new Refused("the server refused the fleet enrolment secret (HTTP " + r.statusCode() + ")");
                }
                if (r.statusCode() == 409 || r.statusCode() == 400) {
                    throw new Refused("the server refused the enrolment (HTTP " + r.statusCode() + "): " + detail);
                }
                log.warn("event=enrolment_failed attempt={} status={} retry_ms={}", attempt, r.statusCode(), delay);
            } catch (IOException | RuntimeException e) {
                log.warn("event=enrolment_failed attempt={} error={} retry_ms={}", attempt, e.toString(), delay);
            }
            Thread.sleep(delay); // the back-off between attempts against an unreachable server
            delay = Math.min(60_000, delay * 2) + ThreadLocalRandom.current().nextLong(250);
        }
        throw new InterruptedException("stopped before enrolment");
    }

    private static String secret(AgentSettings s) throws IOException {
        String secret = s.get("enrolment-secret");
        Path file = s.path("enrolment-secret-file");
        if (secret == null && file != null) {
            secret = Files.readString(file, StandardCharsets.UTF_8).trim();
        }
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("the box has no credentials yet: set enrolment-secret (or "
                    + "enrolment-secret-file), or device-id and token");
        }
        return secret;
    }
}
