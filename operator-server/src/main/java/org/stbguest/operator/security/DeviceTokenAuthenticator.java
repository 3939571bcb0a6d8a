package org.stbguest.operator.security;

import java.util.Optional;

/** Resolves a device bearer token to the device it belongs to (implemented by the device feature). */
public interface DeviceTokenAuthenticator {

    /** The device owning {@code token}, if any. Implementations compare hashes, never raw tokens. */
    Optional<DevicePrincipal> authenticate(String token);
}
