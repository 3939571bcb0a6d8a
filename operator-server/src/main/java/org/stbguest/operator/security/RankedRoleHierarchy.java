package org.stbguest.operator.security;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * Person roles include the ones ranked below them ({@link Role#isPerson()}, by rank); service roles and every other
 * authority stand alone. Computed once from {@link Role}: Spring's {@code RoleHierarchyImpl} formats a debug message
 * on every call (Commons Logging 1.3 builds it before the level check), which was a few percent of the CPU of each
 * check-in, although a box's {@code ROLE_DEVICE} reaches nothing.
 */
final class RankedRoleHierarchy implements RoleHierarchy {

    /** For each person role's authority, the authorities of the roles ranked below it. */
    private final Map<String, List<GrantedAuthority>> below = new HashMap<>();

    RankedRoleHierarchy() {
        for (Role r : Role.values()) {
            if (r.isPerson()) {
                List<GrantedAuthority> under = new ArrayList<>();
                for (Role o : Role.values()) {
                    if (o != r && o.isPerson() && r.includes(o)) {
                        under.add(new SimpleGrantedAuthority(o.authority()));
                    }
                }
                below.put(r.authority(), List.copyOf(under));
            }
        }
    }

    @Override
    public Collection<? extends GrantedAuthority> getReachableGrantedAuthorities(
            Collection<? extends GrantedAuthority> authorities) {
        if (authorities == null || authorities.isEmpty()) {
            return List.of();
        }
        List<GrantedAuthority> reachable = null;
        for (GrantedAuthority a : authorities) {
            List<GrantedAuthority> under = a.getAuthority() == null ? null : below.get(a.getAuthority());
            if (under == null || under.isEmpty()) {
                continue;
            }
            if (reachable == null) {
                reachable = new ArrayList<>(authorities);
            }
            for (GrantedAuthority u : under) {
                if (reachable.stream().noneMatch(x -> u.getAuthority().equals(x.getAuthority()))) {
                    reachable.add(u);
                }
            }
        }
        return reachable == null ? authorities : reachable;
    }
}
