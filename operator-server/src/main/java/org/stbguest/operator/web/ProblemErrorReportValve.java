package org.stbguest.operator.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat's own error page for requests it refuses before any servlet sees them (a malformed request line, an
 * encoded slash, headers over the size limit), as a problem detail rather than an HTML page. Installed on the host
 * by {@link TomcatProblemCustomizer}.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        String code = "http-" + status;
        String body = "{\"type\":\"urn:stb:problem:" + code + "\",\"title\":\"Bad request\",\"status\":" + status
                + ",\"detail\":\"the server refused the request before handling it\",\"code\":\"" + code + "\"}";
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
            response.finishResponse();
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response is committed: nothing more to say
        }
    }
}
