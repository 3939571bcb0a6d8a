package org.stbguest.operator.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;

/** Answers an unauthenticated request with 401 and an RFC 9457 problem body. */
final class ProblemEntryPoint implements AuthenticationEntryPoint {

    private final String challenge;

    ProblemEntryPoint(String challenge) {
        this.challenge = challenge;
    }

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        response.setHeader("WWW-Authenticate", challenge);
        org.stbguest.operator.web.ProblemResponses.write(response, org.springframework.http.HttpStatus.UNAUTHORIZED,
                "unauthenticated", "valid credentials are required");
    }
}
