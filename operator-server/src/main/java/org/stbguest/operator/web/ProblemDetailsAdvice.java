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
        ResponseEntity<ProblemDetail> r = problem(e.status(), e.code(), e.getMessage());
        return e instanceof ApiException.Unavailable u && u.retryAfterSeconds() > 0
                ? retryAfter(r, u.retryAfterSeconds()) : r;
    }

    @ExceptionHandler(org.stbguest.operator.DomainException.class)
    ResponseEntity<ProblemDetail> domain(org.stbguest.operator.DomainException e) {
        HttpStatus status = switch (e.kind()) {
            case INVALID -> HttpStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpStatus.NOT_FOUND;
            case CONFLICT -> HttpStatus.CONFLICT;
            case FORBIDDEN -> HttpStatus.FORBIDDEN;
        };
        return problem(status, e.code(), e.getMessage());
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

    /** The database is down or restarting: 503 with Retry-After, so clients retry rather than give up. */
    @ExceptionHandler({org.springframework.dao.DataAccessResourceFailureException.class,
            org.springframework.transaction.CannotCreateTransactionException.class,
            org.springframework.dao.TransientDataAccessResourceException.class})
    ResponseEntity<ProblemDetail> databaseDown(Exception e) {
        log.warn("event=database_unavailable error={}", e.toString());
        ResponseEntity<ProblemDetail> r = problem(HttpStatus.SERVICE_UNAVAILABLE, "database-unavailable",
                "the database cannot be reached; retry shortly");
        return retryAfter(r, 5);
    }

    private static ResponseEntity<ProblemDetail> retryAfter(ResponseEntity<ProblemDetail> r, int seconds) {
        return ResponseEntity.status(r.getStatusCode()).header("Retry-After", Integer.toString(seconds))
                .body(r.getBody());
    }

    /**
     * A pooled connection the database closed while it shut down (SQLSTATE class 08, or 57P01-57P03) surfaces as a
     * generic JDBC or rollback failure: it is the database being away too, not a server error. So does the rollback
     * that follows on the connection the pool has already closed: HikariCP throws its "Connection is closed" without
     * an SQLSTATE (and Hibernate, seeing the failed read in a transaction marked for rollback, answers "not found",
     * so the rollback failure is the only trace left of the lost connection).
     */
    @ExceptionHandler({org.springframework.orm.jpa.JpaSystemException.class,
            org.springframework.transaction.TransactionSystemException.class,
            org.springframework.dao.UncategorizedDataAccessException.class})
    ResponseEntity<ProblemDetail> connectionLost(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException q && (connectionLoss(q.getSQLState()) || closedByPool(q))) {
                return databaseDown(e);
            }
        }
        throw e;
    }

    private static boolean connectionLoss(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57P0"));
    }

    /** HikariCP's answer on a connection it has closed: no SQLSTATE, thrown from its closed-connection proxy. */
    private static boolean closedByPool(java.sql.SQLException q) {
        StackTraceElement[] at = q.getStackTrace();
        return q.getSQLState() == null && "Connection is closed".equals(q.getMessage()) && at.length > 0
                && at[0].getClassName().startsWith("com.zaxxer.hikari.pool.ProxyConnection");
    }

    @ExceptionHandler(org.springframework.dao.OptimisticLockingFailureException.class)
    ResponseEntity<ProblemDetail> concurrent(org.springframework.dao.OptimisticLockingFailureException e) {
        return problem(HttpStatus.CONFLICT, "concurrent-update", "the resource changed while the request was "
                + "handled; send it again");
    }

    @ExceptionHandler(org.springframework.dao.DataIntegrityViolationException.class)
    ResponseEntity<ProblemDetail> integrity(org.springframework.dao.DataIntegrityViolationException e) {
        // validation should have caught it; a constraint is the last line, and a 409 beats a 500
        log.warn("event=constraint_violation detail={}", e.getMostSpecificCause().getMessage());
        return problem(HttpStatus.CONFLICT, "constraint-violation", "the request conflicts with stored data");
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            org.springframework.http.converter.HttpMessageNotReadableException e,
            org.springframework.http.HttpHeaders headers, org.springframework.http.HttpStatusCode status,
            org.springframework.web.context.request.WebRequest request) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RequestSizeLimitFilter.BodyTooLargeException) {
                return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                        .body(ProblemResponses.of(HttpStatus.CONTENT_TOO_LARGE, "request-too-large", t.getMessage()));
            }
            // a value object of the body refused what it was given (a wave, a window, a filter): say what and why
            if (t instanceof org.stbguest.operator.DomainException d) {
                return ResponseEntity.badRequest().body(ProblemResponses.of(HttpStatus.BAD_REQUEST, d.code(),
                        d.getMessage()));
            }
        }
        return ResponseEntity.badRequest().body(ProblemResponses.of(HttpStatus.BAD_REQUEST, "invalid-request",
                "the request body is not valid JSON of the expected shape"));
    }

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception e, Object body,
            org.springframework.http.HttpHeaders headers, org.springframework.http.HttpStatusCode status,
            org.springframework.web.context.request.WebRequest request) {
        // Spring MVC's own errors (missing parameters, wrong methods...) get our problem type and code too
        if (body instanceof ProblemDetail p && p.getProperties() == null) {
            String code = "http-" + status.value();
            p.setType(URI.create("urn:stb:problem:" + code));
            p.setProperty("code", code);
        }
        return super.handleExceptionInternal(e, body, headers, status, request);
    }

    static ResponseEntity<ProblemDetail> problem(HttpStatus status, String code, String detail) {
        if (status.is5xxServerError()) {
            log.error("event=request_failed code={} detail={}", code, detail);
        }
        return ResponseEntity.status(status).body(ProblemResponses.of(status, code, detail));
    }
}
