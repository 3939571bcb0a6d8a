package org.stbguest.operator.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setHeader("WWW-Authenticate", challenge);
        response.setContentType("application/problem+json");
        response.getOutputStream().write(("{\"type\":\"urn:stb:problem:unauthenticated\",\"title\":\"Unauthorized\","
                + "\"status\":401,\"code\":\"unauthenticated\",\"detail\":\"valid credentials are required\"}")
                .getBytes(StandardCharsets.UTF_8));
    }
}
