package org.stbguest.operator.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.stbguest.device.api.DeviceApiJson;

/**
 * Writes an RFC 9457 problem detail straight to a servlet response, for answers given before a request reaches a
 * controller (authentication, authorization, size limits, throttling): the same shape as {@link ProblemDetailsAdvice}
 * gives every other error.
 */
public final class ProblemResponses {

    private ProblemResponses() {
    }

    /** The problem detail for {@code status}, with type {@code urn:stb:problem:<code>} and the code as a property. */
    public static ProblemDetail of(HttpStatus status, String code, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create("urn:stb:problem:" + code));
        p.setTitle(status.getReasonPhrase());
        p.setProperty("code", code);
        return p;
    }

    /** Writes the problem as the whole response. */
    public static void write(HttpServletResponse response, HttpStatus status, String code, String detail)
            throws IOException {
        response.setStatus(status.value());
        response.setContentType("application/problem+json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        var body = new java.util.LinkedHashMap<String, Object>();
        body.put("type", "urn:stb:problem:" + code);
        body.put("title", status.getReasonPhrase());
        body.put("status", status.value());
        body.put("detail", detail);
        body.put("code", code);
        response.getOutputStream().write(DeviceApiJson.mapper().writeValueAsBytes(body));
    }
}
