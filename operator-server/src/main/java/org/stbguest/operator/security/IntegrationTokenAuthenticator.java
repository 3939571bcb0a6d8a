package org.stbguest.operator.security;

import java.util.Optional;

/** Resolves an integration bearer token to its integration (implemented by the telemetry feature). */
public interface IntegrationTokenAuthenticator {

    /** The live (not revoked) integration owning {@code token}, if any; implementations compare hashes only. */
    Optional<IntegrationPrincipal> authenticate(String token);
}
