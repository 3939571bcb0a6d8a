package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.agent.AgentConfig;
import org.stbguest.agent.ServerClient;
import org.stbguest.agent.ServerTls;
import org.stbguest.device.api.CheckIn;
import org.stbguest.device.api.Enrollment;

/**
 * The operator server on HTTPS with a configured key store (a Spring SSL bundle), and a box that trusts only the CA
 * in its configuration: it checks in; a certificate from another CA, the JVM's default trust and plain HTTP all fail.
 * The CA and the server's certificate are made for the test with the JDK's keytool.
 */
class HttpsIntegrationTest {

    @Test
    void aBoxPinnedToTheServersCaChecksInAndNothingElseGetsThrough(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "127.0.0.1");
        TestPki stranger = TestPki.create(dir.resolve("other"), "127.0.0.1");
        Map<String, Object> tls = Map.of(
                "spring.ssl.bundle.jks.server.keystore.location", "file:" + pki.serverKeyStore(),
                "spring.ssl.bundle.jks.server.keystore.password", TestPki.PASSWORD,
                "spring.ssl.bundle.jks.server.keystore.type", "PKCS12",
                "server.ssl.bundle", "server");
        HttpClient pinned = ServerTls.client(pki.caPem(), Duration.ofSeconds(5));
        try (EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), dir.resolve("server.log"), tls)) {
            assertThat(server.uri.getScheme()).isEqualTo("https");
            OperatorApi admin = new OperatorApi(pinned, server.uri, "admin", server.adminPassword);
            Enrollment box = admin.enroll("TLS-1", DemoScenario.MODEL);

            var client = new ServerClient(pinned, server.uri, box.token(), AgentConfig.Limits.DEFAULTS);
            assertThat(client.checkIn(new CheckIn(1L, List.of())).checkInIntervalMillis()).isPositive();

            var wrongCa = new ServerClient(ServerTls.client(stranger.caPem(), Duration.ofSeconds(5)), server.uri,
                    box.token(), AgentConfig.Limits.DEFAULTS);
            assertThatThrownBy(() -> wrongCa.checkIn(new CheckIn(1L, List.of())))
                    .hasMessageContaining("PKIX")
                    .isInstanceOf(SSLHandshakeException.class);
            var systemTrust = new ServerClient(HttpClient.newHttpClient(), server.uri, box.token(),
                    AgentConfig.Limits.DEFAULTS);
            assertThatThrownBy(() -> systemTrust.checkIn(new CheckIn(1L, List.of())))
                    .isInstanceOf(SSLHandshakeException.class);

            URI plain = URI.create("http://127.0.0.1:" + server.uri.getPort() + "/actuator/health");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(plain).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("plain HTTP to the TLS port").isEqualTo(400);
        }
    }
}
