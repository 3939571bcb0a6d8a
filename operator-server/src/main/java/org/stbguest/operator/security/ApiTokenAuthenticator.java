package org.stbguest.operator.security;

import java.util.Optional;

/** Resolves an API token ({@code stbt_...}) to its live (neither revoked nor expired) token; hashes only. */
public interface ApiTokenAuthenticator {

    /** The prefix of every API token, so a token that is not one costs no database query. */
    String PREFIX = "stbt_";

    Optional<ApiTokenPrincipal> authenticate(String token);
}
