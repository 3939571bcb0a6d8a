package org.stbguest.operator.security;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
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

    @Bean
    @Order(3)
    SecurityFilterChain operatorApi(HttpSecurity http, AuthenticationAudit audit) throws Exception {
        return http
                .addFilterBefore(audit.throttleFilter(), BasicAuthenticationFilter.class)
                .csrf(c -> c.disable()) // stateless REST with Basic credentials; no cookies to ride on
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(a -> a
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info").permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/keys/**", "/api/keysets", "/api/keysets/current").permitAll()
                        .requestMatchers("/error").permitAll()
                        .requestMatchers("/api/distributor/**").hasRole("DISTRIBUTOR")
                        .requestMatchers(HttpMethod.POST, "/api/tickets").hasAnyRole("CALLCENTER", "OPERATOR")
                        .requestMatchers("/api/**", "/actuator/**").hasRole("OPERATOR")
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**", "/swagger-ui.html", "/swagger-ui/**")
                        .hasRole("OPERATOR")
                        .anyRequest().denyAll())
                .httpBasic(b -> b.authenticationEntryPoint(new ProblemEntryPoint("Basic realm=\"stb\"")))
                .exceptionHandling(e -> e.authenticationEntryPoint(new ProblemEntryPoint("Basic realm=\"stb\""))
                        .accessDeniedHandler(audit))
                .build();
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

    @Bean
    PasswordEncoder passwordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    @Bean
    UserDetailsService accounts(SecurityProperties security, StbProperties stb, PasswordEncoder encoder) throws IOException {
        List<UserDetails> users = new ArrayList<>();
        Map<String, SecurityProperties.Account> accounts = security.accounts();
        boolean anyOperator = accounts.values().stream().anyMatch(a -> a.roles().contains("OPERATOR"));
        if (!anyOperator && !accounts.containsKey("admin")) {
            String password = initialAdminPassword(stb.dataDir());
            users.add(User.withUsername("admin").password(encoder.encode(password)).roles("OPERATOR").build());
        }
        accounts.forEach((name, account) -> {
            if (account.password() == null || account.password().isBlank()) {
                throw new IllegalStateException("account " + name + " has no password (stb.security.accounts." + name + ".password)");
            }
            String pw = account.password().startsWith("{") ? account.password() : encoder.encode(account.password());
            users.add(User.withUsername(name).password(pw).roles(account.roles().toArray(String[]::new)).build());
        });
        return new InMemoryUserDetailsManager(users);
    }

    private static String initialAdminPassword(Path dataDir) throws IOException {
        Path file = dataDir.resolve("initial-admin-password");
        return SecretFiles.readOrCreate(file, 18, () -> log.warn(
                "event=initial_admin_created user=admin password_file={}", file.toAbsolutePath()));
    }
}
