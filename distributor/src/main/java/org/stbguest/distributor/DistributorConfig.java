package org.stbguest.distributor;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import org.stbguest.multicast.MulticastSettings;

/**
 * The headend distributor's configuration. It authenticates with a service API token (role {@code DISTRIBUTOR}; then
 * {@code user} is null and {@code password} holds the token) or, for older set-ups, an account's password.
 *
 * @param pollInterval how often the server is asked for live transmissions (and whether current ones still are)
 * @param maxCycles    carousel cycles at most per transmission
 * @param maxDuration  time on the air at most per transmission
 */
public record DistributorConfig(URI server, String user, String password, MulticastSettings multicast,
                                String controlGroup, int controlPort, Path workDir, Duration pollInterval,
                                int maxCycles, Duration maxDuration) {

    /** Default control group: a well-known administratively scoped group. */
    public static final String DEFAULT_CONTROL_GROUP = "239.255.42.1";
    /** Default control port. */
    public static final int DEFAULT_CONTROL_PORT = 41999;

    public DistributorConfig {
        if (server == null || password == null || password.isBlank()) {
            throw new IllegalArgumentException("a server and a token (or a user and password) are required");
        }
    }

    /** Authenticated by a service API token rather than an account's password. */
    public static DistributorConfig withToken(URI server, String token, MulticastSettings multicast,
                                              String controlGroup, int controlPort, Path workDir,
                                              Duration pollInterval, int maxCycles, Duration maxDuration) {
        return new DistributorConfig(server, null, token, multicast, controlGroup, controlPort, workDir, pollInterval,
                maxCycles, maxDuration);
    }

    Inet4Address controlAddress() throws UnknownHostException {
        return (Inet4Address) InetAddress.getByName(controlGroup);
    }

    @Override
    public String toString() {
        return "DistributorConfig[server=" + server + (user == null ? "" : ", user=" + user) + ", interface=" + multicast.interfaceName()
                + ", control=" + controlGroup + ":" + controlPort + (user == null ? ", token=***]" : ", password=***]");
    }
}
