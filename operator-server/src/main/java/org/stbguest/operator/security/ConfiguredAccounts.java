package org.stbguest.operator.security;

import java.util.Map;
import java.util.Set;

/** The accounts from configuration ({@code stb.security.accounts}, and the initial admin), by name, with their role. */
public record ConfiguredAccounts(Map<String, Role> roles) {

    public Set<String> names() {
        return roles.keySet();
    }
}
