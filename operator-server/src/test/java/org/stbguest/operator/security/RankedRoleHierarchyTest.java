package org.stbguest.operator.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.AuthorityUtils;

/** The ranked hierarchy reaches exactly what Spring's own, written out, reaches, for every role and mix. */
class RankedRoleHierarchyTest {

    private final RankedRoleHierarchy ranked = new RankedRoleHierarchy();
    private final RoleHierarchyImpl spring = RoleHierarchyImpl.fromHierarchy(
            "ROLE_ADMIN > ROLE_RELEASE_MANAGER\nROLE_RELEASE_MANAGER > ROLE_OPERATOR\nROLE_OPERATOR > ROLE_VIEWER");

    private static List<String> names(Collection<? extends GrantedAuthority> a) {
        return a.stream().map(GrantedAuthority::getAuthority).sorted().toList();
    }

    @Test
    void everyRoleReachesWhatTheWrittenHierarchyReaches() {
        for (Role r : Role.values()) {
            var granted = AuthorityUtils.createAuthorityList(r.authority());
            assertThat(names(ranked.getReachableGrantedAuthorities(granted))).as(r.name())
                    .isEqualTo(names(spring.getReachableGrantedAuthorities(granted)));
        }
        var mixed = AuthorityUtils.createAuthorityList("ROLE_OPERATOR", "ROLE_DISTRIBUTOR", "ROLE_VIEWER", "OTHER");
        assertThat(names(ranked.getReachableGrantedAuthorities(mixed)))
                .isEqualTo(names(spring.getReachableGrantedAuthorities(mixed)))
                .containsExactly("OTHER", "ROLE_DISTRIBUTOR", "ROLE_OPERATOR", "ROLE_VIEWER");
        assertThat(names(ranked.getReachableGrantedAuthorities(AuthorityUtils.createAuthorityList("ROLE_ADMIN"))))
                .containsExactly("ROLE_ADMIN", "ROLE_OPERATOR", "ROLE_RELEASE_MANAGER", "ROLE_VIEWER");
    }

    @Test
    void aBoxsAndAServicesAuthoritiesReachNothingMore() {
        var device = AuthorityUtils.createAuthorityList("ROLE_DEVICE");
        assertThat(ranked.getReachableGrantedAuthorities(device)).isSameAs(device);
        assertThat(names(ranked.getReachableGrantedAuthorities(AuthorityUtils.createAuthorityList("ROLE_CALLCENTER"))))
                .containsExactly("ROLE_CALLCENTER");
        assertThat(ranked.getReachableGrantedAuthorities(List.of())).isEmpty();
    }
}
