package org.stbguest.operator.security;

import java.util.Arrays;
import java.util.Optional;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;

/**
 * The roles of people and services. People's roles are ranked, each including the ones below it: {@code VIEWER}
 * (reads everything but credentials and the audit), {@code OPERATOR} (enrols boxes, uploads images, runs rollouts,
 * reads the audit), {@code RELEASE_MANAGER} (signs, releases and revokes images, key sets, finalizes rollouts, image GC),
 * {@code ADMIN} (accounts, integrations, everyone's tokens). Services' roles stand alone: {@code DISTRIBUTOR} (the
 * headend) and {@code CALLCENTER} (posting tickets). Which endpoint needs which role is written in one table, in
 * {@link SecurityConfiguration}.
 */
public enum Role {
    VIEWER(1), OPERATOR(2), RELEASE_MANAGER(3), ADMIN(4), DISTRIBUTOR(0), CALLCENTER(0);

    private final int rank;

    Role(int rank) {
        this.rank = rank;
    }

    /** A person's role (ranked), as opposed to a service's. */
    public boolean isPerson() {
        return rank > 0;
    }

    /** Whether someone holding this role may hand {@code other} on (to a token or an account). */
    public boolean includes(Role other) {
        return this == other || (this == ADMIN) || (isPerson() && other.isPerson() && rank >= other.rank);
    }

    public String authority() {
        return "ROLE_" + name();
    }

    /** A role by name, case-insensitive, with '-' for '_' ("release-manager"). */
    public static Optional<Role> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        return Arrays.stream(values()).filter(r -> r.name().equals(n)).findFirst();
    }

    /** The highest role the authentication holds directly (not through the hierarchy), if any. */
    public static Optional<Role> of(Authentication who) {
        Role best = null;
        for (GrantedAuthority a : who.getAuthorities()) {
            String s = a.getAuthority();
            Optional<Role> r = s != null && s.startsWith("ROLE_") ? parse(s.substring(5)) : Optional.empty();
            if (r.isPresent() && (best == null || r.get() == ADMIN || r.get().rank > best.rank)) {
                best = r.get();
            }
        }
        return Optional.ofNullable(best);
    }
}
