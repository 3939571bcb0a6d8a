package org.stbguest.operator.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;

/**
 * Answers an unauthenticated request with 401 and an RFC 9457 problem body; a login the server was too busy to check
 * ({@link PasswordChecks.BusyException}) with 503 and {@code Retry-After}.
 */
final class ProblemEntryPoint implements AuthenticationEntryPoint {

    private final String challenge;

    ProblemEntryPoint(String challenge) {
        this.challenge = challenge;
    }

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        if (e instanceof PasswordChecks.BusyException) { // not a wrong password: the server is busy checking others
            response.setHeader("Retry-After", "1");
            org.stbguest.operator.web.ProblemResponses.write(response,
                    org.springframework.http.HttpStatus.SERVICE_UNAVAILABLE, "password-checks-busy", e.getMessage());
            return;
        }
        response.setHeader("WWW-Authenticate", challenge);
        org.stbguest.operator.web.ProblemResponses.write(response, org.springframework.http.HttpStatus.UNAUTHORIZED,
                "unauthenticated", "valid credentials are required");
    }
}
