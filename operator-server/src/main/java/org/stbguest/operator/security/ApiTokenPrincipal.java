package org.stbguest.operator.security;

import java.security.Principal;

/**
 * Who calls with an API token: the token's name, the account that owns it and the one role it carries. Its name, as
 * the audit shows it, is {@code owner/token/name}.
 */
public record ApiTokenPrincipal(long id, String name, String owner, Role role) implements Principal {

    @Override
    public String getName() {
        return owner + "/token/" + name;
    }
}
