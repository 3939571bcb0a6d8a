package org.stbguest.operator.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates requests by their {@code Authorization: Bearer} token: device-API requests by the device's token,
 * webhook requests by an integration's token, operator-API requests by an API token. A request without a valid token goes on unauthenticated and meets the
 * chain's entry point (401, a problem detail).
 */
final class BearerTokenFilter extends OncePerRequestFilter {

    private final java.util.function.Function<String, Optional<?>> authenticator;
    private final java.util.function.Function<Object, String> authority;

    BearerTokenFilter(DeviceTokenAuthenticator devices) {
        this(devices::authenticate, "ROLE_DEVICE");
    }

    BearerTokenFilter(java.util.function.Function<String, Optional<?>> authenticator, String authority) {
        this(authenticator, p -> authority);
    }

    /** {@code authority} names the authority a principal gets (an API token's role). */
    BearerTokenFilter(java.util.function.Function<String, Optional<?>> authenticator,
                      java.util.function.Function<Object, String> authority) {
        this.authenticator = authenticator;
        this.authority = authority;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            Optional<?> principal;
            try {
                principal = authenticator.apply(header.substring(7).trim());
            } catch (org.springframework.dao.DataAccessException e) {
                // the database is down or restarting: the box retries, and it is told so, not that its token is bad
                response.setHeader("Retry-After", "5");
                org.stbguest.operator.web.ProblemResponses.write(response,
                        org.springframework.http.HttpStatus.SERVICE_UNAVAILABLE, "database-unavailable",
                        "the database cannot be reached; retry shortly");
                return;
            }
            principal.ifPresent(p -> {
                var auth = new UsernamePasswordAuthenticationToken(p, null, List.of(new SimpleGrantedAuthority(authority.apply(p))));
                SecurityContextHolder.getContext().setAuthentication(auth);
            });
        }
        chain.doFilter(request, response);
    }
}
