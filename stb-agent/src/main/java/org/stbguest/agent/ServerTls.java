package org.stbguest.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The box's TLS to the operator server: it trusts exactly the CA certificates in its configuration (a PEM file),
 * not the JVM's or the system's CA list, so a certificate any public CA issued for the server's name is refused.
 * Host names are verified as usual (the server's certificate must name the host or address the box dials).
 */
public final class ServerTls {

    private ServerTls() {
    }

    /** An SSL context that trusts only the CA certificates in {@code caPem} (one or more PEM certificates). */
    public static SSLContext pinnedContext(Path caPem) throws IOException {
        try (InputStream in = Files.newInputStream(caPem)) {
            var certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IOException(caPem + " holds no certificate");
            }
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates) {
                trust.setCertificateEntry("server-ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use " + caPem + " as the server's CA: " + e.getMessage(), e);
        }
    }

    /**
     * The HTTP client a box uses: pinned to {@code caPem} when given (then only TLS 1.3 and 1.2), the JDK's default
     * trust otherwise (plain HTTP on loopback for the demo).
     */
    public static HttpClient client(Path caPem, Duration connectTimeout) throws IOException {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (caPem != null) {
            SSLParameters params = new SSLParameters();
            params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            b.sslContext(pinnedContext(caPem)).sslParameters(params);
        }
        return b.build();
    }
}
