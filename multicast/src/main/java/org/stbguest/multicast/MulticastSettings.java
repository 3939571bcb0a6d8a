package org.stbguest.multicast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;

/**
 * Where multicast goes: always an explicitly named interface, and TTL 1, so nothing leaves the local segment by the
 * default route. Loopback ({@code lo}) is the default; any other interface must be asked for by name.
 */
public record MulticastSettings(String interfaceName, int ttl) {

    /** The default: loopback, TTL 1. */
    public static final MulticastSettings LOOPBACK = new MulticastSettings("lo", 1);

    public MulticastSettings {
        if (interfaceName == null || interfaceName.isBlank()) {
            throw new IllegalArgumentException("a multicast interface must be named explicitly");
        }
        if (ttl != 1) {
            throw new IllegalArgumentException("multicast TTL must be 1 (link-local only), got " + ttl);
        }
    }

    /** Settings for a named interface with TTL 1. */
    public static MulticastSettings onInterface(String name) {
        return new MulticastSettings(name, 1);
    }

    /** The interface, which must exist and be up. */
    public NetworkInterface networkInterface() {
        try {
            NetworkInterface ni = NetworkInterface.getByName(interfaceName);
            if (ni == null || !ni.isUp()) {
                throw new IllegalStateException("multicast interface " + interfaceName + " does not exist or is down");
            }
            return ni;
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The interface's first IPv4 address, used as the sender's source address. */
    public Inet4Address ipv4Address() {
        NetworkInterface ni = networkInterface();
        for (InetAddress a : Collections.list(ni.getInetAddresses())) {
            if (a instanceof Inet4Address v4) {
                return v4;
            }
        }
        throw new UncheckedIOException(new IOException("interface " + interfaceName + " has no IPv4 address"));
    }
}
