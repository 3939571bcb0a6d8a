package org.stbguest.operator.web;

import org.springframework.http.HttpStatus;

/**
 * Base of every feature's exceptions: a stable machine-readable code (it becomes the problem type) and the HTTP
 * status. Mapped to RFC 9457 problem details in one place, {@link ProblemDetailsAdvice}.
 */
public abstract class ApiException extends RuntimeException {

    private final String code;
    private final HttpStatus status;

    protected ApiException(HttpStatus status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public String code() {
        return code;
    }

    public HttpStatus status() {
        return status;
    }

    /** A resource that does not exist. */
    public static final class NotFound extends ApiException {
        public NotFound(String code, String message) {
            super(HttpStatus.NOT_FOUND, code, message);
        }
    }

    /** A request that conflicts with the current state (an illegal transition, a duplicate). */
    public static final class Conflict extends ApiException {
        public Conflict(String code, String message) {
            super(HttpStatus.CONFLICT, code, message);
        }
    }

    /** A request that is malformed or names something invalid. */
    public static final class BadRequest extends ApiException {
        public BadRequest(String code, String message) {
            super(HttpStatus.BAD_REQUEST, code, message);
        }
    }

    /** The client sends too much, too often. */
    public static final class TooManyRequests extends ApiException {
        public TooManyRequests(String code, String message) {
            super(HttpStatus.TOO_MANY_REQUESTS, code, message);
        }
    }

    /** The client sent more than a request may carry. */
    public static final class TooLarge extends ApiException {
        public TooLarge(String code, String message) {
            super(HttpStatus.CONTENT_TOO_LARGE, code, message);
        }
    }

    /** The server cannot serve the request now, through no fault of the client (damaged storage, a busy moment). */
    public static final class Unavailable extends ApiException {
        private final int retryAfterSeconds;

        /** Not soon better by itself (damaged storage): no Retry-After. */
        public Unavailable(String code, String message) {
            this(code, message, 0);
        }

        /** Better soon: the answer says when to send the request again. */
        public Unavailable(String code, String message, int retryAfterSeconds) {
            super(HttpStatus.SERVICE_UNAVAILABLE, code, message);
            this.retryAfterSeconds = retryAfterSeconds;
        }

        /** Seconds after which to retry, or 0 when retrying soon would not help. */
        public int retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    /** The caller may not do this (a device asking for another model's image). */
    public static final class Forbidden extends ApiException {
        public Forbidden(String code, String message) {
            super(HttpStatus.FORBIDDEN, code, message);
        }
    }
}
