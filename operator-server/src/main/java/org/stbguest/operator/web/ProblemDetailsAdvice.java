package org.stbguest.operator.web;

import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.stbguest.image.ImageChunker;
import org.stbguest.image.ImageVerificationException;

/**
 * Maps every feature's errors to RFC 9457 problem details, once. The problem type is
 * {@code urn:stb:problem:<code>} with the feature's stable code.
 */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ProblemDetail> api(ApiException e) {
        return problem(e.status(), e.code(), e.getMessage());
    }

    @ExceptionHandler(ImageVerificationException.class)
    ResponseEntity<ProblemDetail> verification(ImageVerificationException e) {
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, "image-" + e.reason().name().toLowerCase().replace('_', '-'),
                e.getMessage());
    }

    @ExceptionHandler(ImageChunker.ImageTooLargeException.class)
    ResponseEntity<ProblemDetail> tooLarge(ImageChunker.ImageTooLargeException e) {
        return problem(HttpStatus.CONTENT_TOO_LARGE, "image-too-large", e.getMessage());
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<ProblemDetail> invalid(IllegalArgumentException e) {
        return problem(HttpStatus.BAD_REQUEST, "invalid-request", e.getMessage());
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> mismatch(MethodArgumentTypeMismatchException e) {
        return problem(HttpStatus.BAD_REQUEST, "invalid-request", "parameter " + e.getName() + " is invalid");
    }

    static ResponseEntity<ProblemDetail> problem(HttpStatus status, String code, String detail) {
        if (status.is5xxServerError()) {
            log.error("event=request_failed code={} detail={}", code, detail);
        }
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create("urn:stb:problem:" + code));
        p.setTitle(status.getReasonPhrase());
        p.setProperty("code", code);
        return ResponseEntity.status(status).body(p);
    }
}
