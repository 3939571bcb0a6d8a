package org.stbguest.operator.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.event.AbstractAuthenticationFailureEvent;
import org.springframework.security.authentication.event.AuthenticationSuccessEvent;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.stbguest.operator.StbProperties;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.web.ProblemResponses;

/**
 * Authentication hygiene: every failed login is logged and audited and counts towards the account's lock-out
 * ({@link LoginThrottle}); every refused authorization (403) is logged, audited and answered with a problem detail.
 * Passwords never reach a log or the audit, only account names (cut to the audit's column).
 */
@Component
class AuthenticationAudit implements AccessDeniedHandler {

    private static final Logger log = LoggerFactory.getLogger(AuthenticationAudit.class);

    private final AuditLog audit;
    private final LoginThrottle throttle;

    AuthenticationAudit(AuditLog audit, StbProperties props, Clock clock) {
        this.audit = audit;
        this.throttle = new LoginThrottle(props.limits().loginFailures(), props.limits().loginWindow(), clock);
    }

    @EventListener
    void failed(AbstractAuthenticationFailureEvent event) {
        if (event.getException() instanceof PasswordChecks.BusyException) {
            return; // the password was not checked: neither a failure of the account nor a step to its lock-out
        }
        String account = String.valueOf(event.getAuthentication().getPrincipal());
        boolean locked = throttle.failed(account);
        log.warn("event=login_failed account={} reason={} locked={}", printable(account),
                event.getException().getClass().getSimpleName(), locked);
        audit.record(printable(account), "auth.login_failed", "account/" + printable(account),
                event.getException().getClass().getSimpleName() + (locked ? "; account locked" : ""));
    }

    @EventListener
    void succeeded(AuthenticationSuccessEvent event) {
        if (!(event.getAuthentication().getPrincipal() instanceof DevicePrincipal)) {
            throttle.succeeded(event.getAuthentication().getName());
        }
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException {
        Authentication who = SecurityContextHolder.getContext().getAuthentication();
        String actor = who == null ? "anonymous" : who.getPrincipal() instanceof DevicePrincipal d
                ? "device/" + d.deviceId() : printable(who.getName());
        String target = request.getMethod() + " " + printable(request.getRequestURI());
        log.warn("event=access_denied actor={} target=\"{}\"", actor, target);
        audit.record(actor, "auth.denied", target, "missing role");
        ProblemResponses.write(response, HttpStatus.FORBIDDEN, "forbidden",
                "this account may not " + request.getMethod() + " " + printable(request.getRequestURI()));
    }

    /** A filter in front of HTTP Basic: a locked account gets 429 and its password is not even checked. */
    OncePerRequestFilter throttleFilter() {
        return new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
                                            FilterChain chain) throws ServletException, IOException {
                String account = basicAccount(request.getHeader("Authorization"));
                var locked = account == null ? java.util.Optional.<java.time.Instant>empty()
                        : throttle.lockedUntil(account);
                if (locked.isPresent()) {
                    long seconds = Math.max(1, Duration.between(Clock.systemUTC().instant(), locked.get()).toSeconds());
                    log.warn("event=login_throttled account={} retry_after_s={}", printable(account), seconds);
                    response.setHeader("Retry-After", Long.toString(seconds));
                    ProblemResponses.write(response, HttpStatus.TOO_MANY_REQUESTS, "too-many-login-failures",
                            "too many failed logins for this account; try again in " + seconds + " s");
                    return;
                }
                chain.doFilter(request, response);
            }
        };
    }

    static String basicAccount(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? null : decoded.substring(0, colon);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Account names and paths as they may appear in logs and the audit: printable, at most 100 characters. */
    static String printable(String s) {
        String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > 100 ? clean.substring(0, 100) + "..." : clean;
    }
}
