package org.stbguest.operator.security;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.stbguest.operator.SecretFiles;
import org.stbguest.operator.StbProperties;

/**
 * Who may call what. Devices use their own bearer token on {@code /api/device/**} and nothing else; call-center
 * systems their integration token on {@code /api/telemetry/**}; operators and services log in with HTTP Basic;
 * health and the public release keys are open; everything else is denied.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

    @Bean
    @Order(1)
    SecurityFilterChain deviceApi(HttpSecurity http, DeviceTokenAuthenticator devices, AuthenticationAudit audit)
            throws Exception {
        return http.securityMatcher("/api/device/**")
                .csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .addFilterBefore(new BearerTokenFilter(devices), BasicAuthenticationFilter.class)
                .authorizeHttpRequests(a -> a.anyRequest().hasRole("DEVICE"))
                .exceptionHandling(e -> e.authenticationEntryPoint(new ProblemEntryPoint("Bearer"))
                        .accessDeniedHandler(audit))
                .build();
    }

    /**
     * Boxes enrolling themselves with the fleet enrolment secret (a bearer token shared by a production batch); off
     * when no secret is configured. Compared by SHA-256 digest in constant time; the secret is never logged.
     */
    @Bean
    @Order(0)
    SecurityFilterChain fleetEnrolment(HttpSecurity http, SecurityProperties security, AuthenticationAudit audit)
            throws Exception {
        byte[] expected = security.fleetEnrolmentSecret() == null || security.fleetEnrolmentSecret().isBlank() ? null
                : sha256(security.fleetEnrolmentSecret());
        java.util.function.Function<String, java.util.Optional<?>> check = token -> expected != null
                && java.security.MessageDigest.isEqual(expected, sha256(token))
                ? java.util.Optional.of("fleet-enrolment") : java.util.Optional.empty();
        return http.securityMatcher("/api/enrolment")
                .csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .addFilterBefore(new BearerTokenFilter(check, "ROLE_ENROLMENT"), BasicAuthenticationFilter.class)
                .authorizeHttpRequests(a -> a.anyRequest().hasRole("ENROLMENT"))
                .exceptionHandling(e -> e.authenticationEntryPoint(new ProblemEntryPoint("Bearer"))
                        .accessDeniedHandler(audit))
                .build();
    }

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The call-center webhook: an integration's own bearer token, never an operator's password. */
    @Bean
    @Order(2)
    SecurityFilterChain telemetryApi(HttpSecurity http, IntegrationTokenAuthenticator integrations,
                                     AuthenticationAudit audit) throws Exception {
        return http.securityMatcher("/api/telemetry/**")
                .csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .addFilterBefore(new BearerTokenFilter(integrations::authenticate, "ROLE_INTEGRATION"),
                        BasicAuthenticationFilter.class)
                .authorizeHttpRequests(a -> a.anyRequest().hasRole("INTEGRATION"))
                .exceptionHandling(e -> e.authenticationEntryPoint(new ProblemEntryPoint("Bearer"))
                        .accessDeniedHandler(audit))
                .build();
    }

    /**
     * The operator API: people log in with HTTP Basic or present an API token ({@code Bearer stbt_...}); the headend
     * distributor and call-center scripts present their service tokens. <b>The one table of who may call what</b>
     * (first match decides; person roles include the ones below them: admin > release-manager > operator > viewer):
     *
     * <pre>
     * open          GET /actuator/health, /actuator/info, /api/keys/**, /api/keysets, /api/keysets/current
     * DISTRIBUTOR   /api/distributor/**                        (transmissions, signed statements)
     * CALLCENTER    POST /api/tickets                          (operators too)
     * ADMIN         /api/accounts/**, /api/integrations/**
     * VIEWER        /api/tokens/**, /api/me/**                 (each caller's own tokens and password; an admin's reach all)
     * RELEASE_MGR   POST /api/images/{id}/signatures|release|revoke, /api/images/gc, /api/keysets, /api/keysets/cosign,
     *               /api/rollouts/{id}/finalize
     * OPERATOR      GET /api/audit; every other POST/PUT/PATCH/DELETE under /api (enrol, upload, run rollouts)
     * VIEWER        every other GET under /api; /actuator/**; the OpenAPI document and Swagger UI
     * nobody        anything else
     * </pre>
     */
    @Bean
    @Order(3)
    SecurityFilterChain operatorApi(HttpSecurity http, AuthenticationAudit audit, ApiTokenAuthenticator tokens)
            throws Exception {
        return http
                .addFilterBefore(audit.throttleFilter(), BasicAuthenticationFilter.class)
                .addFilterBefore(new BearerTokenFilter(tokens::authenticate,
                        p -> ((ApiTokenPrincipal) p).role().authority()), BasicAuthenticationFilter.class)
                .csrf(c -> c.disable()) // stateless REST with Basic credentials or tokens; no cookies to ride on
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(a -> a
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info").permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/keys/**", "/api/keysets", "/api/keysets/current").permitAll()
                        .requestMatchers("/error").permitAll()
                        .requestMatchers("/api/distributor/**").hasRole(Role.DISTRIBUTOR.name())
                        .requestMatchers(HttpMethod.POST, "/api/tickets").hasAnyRole(Role.CALLCENTER.name(),
                                Role.OPERATOR.name())
                        .requestMatchers("/api/accounts", "/api/accounts/**", "/api/integrations",
                                "/api/integrations/**").hasRole(Role.ADMIN.name())
                        .requestMatchers("/api/tokens", "/api/tokens/**", "/api/me", "/api/me/**")
                        .hasRole(Role.VIEWER.name())
                        .requestMatchers(HttpMethod.POST, "/api/images/*/signatures", "/api/images/*/release",
                                "/api/images/*/revoke", "/api/images/gc", "/api/keysets", "/api/keysets/cosign",
                                "/api/rollouts/*/finalize").hasRole(Role.RELEASE_MANAGER.name())
                        .requestMatchers(HttpMethod.GET, "/api/audit", "/api/audit/**").hasRole(Role.OPERATOR.name())
                        .requestMatchers(HttpMethod.GET, "/api/**").hasRole(Role.VIEWER.name())
                        .requestMatchers("/api/**").hasRole(Role.OPERATOR.name())
                        .requestMatchers("/actuator/**").hasRole(Role.VIEWER.name())
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**", "/swagger-ui.html", "/swagger-ui/**")
                        .hasRole(Role.VIEWER.name())
                        .anyRequest().denyAll())
                .httpBasic(b -> b.authenticationEntryPoint(new ProblemEntryPoint("Basic realm=\"stb\"")))
                .exceptionHandling(e -> e.authenticationEntryPoint(new ProblemEntryPoint("Basic realm=\"stb\""))
                        .accessDeniedHandler(audit))
                .build();
    }

    /** Person roles include the ones ranked below them, in every chain's rules. */
    @Bean
    static org.springframework.security.access.hierarchicalroles.RoleHierarchy roleHierarchy() {
        return new RankedRoleHierarchy();
    }

    /** The firewall's refusals (encoded slashes, semicolons, null bytes in the URL) as problem details. */
    @Bean
    org.springframework.security.web.firewall.RequestRejectedHandler requestRejectedHandler() {
        return (request, response, e) -> {
            log.info("event=request_rejected reason=\"{}\"", e.getMessage());
            org.stbguest.operator.web.ProblemResponses.write(response, org.springframework.http.HttpStatus.BAD_REQUEST,
                    "request-rejected", "the request URL contains characters this server does not accept");
        };
    }

    /** bcrypt (by default; other {@code {id}} hashes are read), bounded and remembered by {@link PasswordChecks}. */
    @Bean
    PasswordEncoder passwordEncoder(SecurityProperties security, java.time.Clock clock,
                                    io.micrometer.core.instrument.MeterRegistry meters) {
        SecurityProperties.PasswordCheckLimits limits = security.passwordChecks();
        return new PasswordChecks(PasswordEncoderFactories.createDelegatingPasswordEncoder(), limits.perSecond(),
                limits.burst(), limits.effectiveConcurrency(), limits.maxWait(), limits.remember(),
                limits.maxRemembered(), clock, meters);
    }

    /**
     * Accounts from configuration, and the initial {@code admin} when no configured account is an admin (its random
     * password written to {@code <data-dir>/initial-admin-password}, never to the log).
     */
    @Bean
    ConfiguredUsers configuredUsers(SecurityProperties security, StbProperties stb, PasswordEncoder encoder)
            throws IOException {
        Map<String, UserDetails> users = new java.util.LinkedHashMap<>();
        Map<String, Role> roles = new java.util.LinkedHashMap<>();
        Map<String, SecurityProperties.Account> accounts = security.accounts();
        boolean anyAdmin = accounts.values().stream().anyMatch(a -> a.roles().stream()
                .anyMatch(r -> Role.parse(r).orElse(null) == Role.ADMIN));
        if (!anyAdmin && !accounts.containsKey("admin")) {
            String password = initialAdminPassword(stb.dataDir());
            users.put("admin", User.withUsername("admin").password(encoder.encode(password))
                    .roles(Role.ADMIN.name()).build());
            roles.put("admin", Role.ADMIN);
        }
        accounts.forEach((name, account) -> {
            if (account.password() == null || account.password().isBlank()) {
                throw new IllegalStateException("account " + name + " has no password (stb.security.accounts." + name + ".password)");
            }
            List<Role> parsed = account.roles().stream().map(r -> Role.parse(r).orElseThrow(() ->
                    new IllegalStateException("account " + name + ": unknown role " + r + " (one of "
                            + java.util.Arrays.toString(Role.values()) + ")"))).toList();
            if (parsed.isEmpty()) {
                throw new IllegalStateException("account " + name + " has no role (stb.security.accounts." + name
                        + ".roles)");
            }
            if (!account.password().startsWith("{") && !PasswordChecks.fitsBcrypt(account.password())) {
                throw new IllegalStateException("account " + name + ": a password has at most "
                        + PasswordChecks.MAX_PASSWORD_BYTES + " bytes (bcrypt's limit; a longer one would be cut "
                        + "without a word)");
            }
            String pw = account.password().startsWith("{") ? account.password() : encoder.encode(account.password());
            users.put(name, User.withUsername(name).password(pw)
                    .roles(parsed.stream().map(Role::name).toArray(String[]::new)).build());
            roles.put(name, parsed.stream().filter(Role::isPerson).findFirst().orElse(parsed.get(0)));
        });
        return new ConfiguredUsers(users, new ConfiguredAccounts(roles));
    }

    @Bean
    ConfiguredAccounts configuredAccounts(ConfiguredUsers users) {
        return users.accounts();
    }

    /** Configured accounts first; then the accounts admins created, read from the database at every login. */
    @Bean
    UserDetailsService accounts(ConfiguredUsers configured, AccountDirectory directory) {
        return name -> {
            UserDetails fixed = configured.users().get(name);
            if (fixed != null) {
                return User.withUserDetails(fixed).build();
            }
            return directory.find(name).map(a -> User.withUsername(a.name()).password(a.passwordHash())
                            .roles(a.role().name()).build())
                    .orElseThrow(() -> new org.springframework.security.core.userdetails.UsernameNotFoundException(
                            "no such account"));
        };
    }

    record ConfiguredUsers(Map<String, UserDetails> users, ConfiguredAccounts accounts) {
    }

    private static String initialAdminPassword(Path dataDir) throws IOException {
        Path file = dataDir.resolve("initial-admin-password");
        return SecretFiles.readOrCreate(file, 18, () -> log.warn(
                "event=initial_admin_created user=admin password_file={}", file.toAbsolutePath()));
    }
}
