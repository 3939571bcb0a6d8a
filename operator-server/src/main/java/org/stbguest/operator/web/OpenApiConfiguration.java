package org.stbguest.operator.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document ({@code /v3/api-docs}, Swagger UI at {@code /swagger-ui.html}; operators only): every
 * endpoint, its security scheme (operators by HTTP Basic, boxes by their device token, the call center by its
 * integration token, boxes enrolling by the fleet secret) and the RFC 9457 problem details its errors come as, with
 * the machine-readable {@code code} member this server adds.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static final String PROBLEM = "Problem";

    /** The errors every endpoint may answer, as problem details; each problem's {@code code} names the case. */
    private static final Map<String, String> COMMON = new LinkedHashMap<>(Map.of(
            "400", "invalid input (code names the rule broken: invalid-check-in, invalid-csv, invalid-target...)",
            "401", "no credentials or bad ones (code: unauthenticated)",
            "403", "authenticated but not allowed (code: forbidden)",
            "404", "no such resource (code: device-not-found, rollout-not-found, image-not-found...)",
            "409", "the resource's state forbids it (code: illegal-transition, device-exists, version-exists...)",
            "413", "the request body is larger than allowed (code: too-large)",
            "429", "too many requests from this client (code: check-in-rate-exceeded, too-many-reports, "
                    + "too-many-login-failures...)",
            "503", "retry after Retry-After: the database cannot be reached (code: database-unavailable), or the server "
                    + "checks no more passwords this second (code: password-checks-busy)"));

    @Bean
    OpenAPI stbOpenApi() {
        Schema<?> problem = new ObjectSchema()
                .description("RFC 9457 problem details, with this server's machine-readable code")
                .addProperty("type", new StringSchema().format("uri"))
                .addProperty("title", new StringSchema())
                .addProperty("status", new IntegerSchema())
                .addProperty("detail", new StringSchema())
                .addProperty("instance", new StringSchema().format("uri"))
                .addProperty("code", new StringSchema().description("what went wrong, for programs"));
        return new OpenAPI()
                .info(new Info().title("STB guest-image operator server")
                        .description("Signed guest images, rollouts in waves, the complaint guard, the device API.")
                        .version("1"))
                .components(new Components()
                        .addSchemas(PROBLEM, problem)
                        .addSecuritySchemes("operator", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("basic"))
                        .addSecuritySchemes("token", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("bearer").description("an API token (stbt_...), carrying one role"))
                        .addSecuritySchemes("device", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("bearer").description("the box's own token, from its enrolment"))
                        .addSecuritySchemes("integration", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("bearer").description("a call-center integration token"))
                        .addSecuritySchemes("fleet", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("bearer").description("the fleet enrolment secret of a production batch")));
    }

    /** Adds each operation's security scheme and the common problem responses it does not document itself. */
    @Bean
    OpenApiCustomizer problemResponses() {
        return api -> api.getPaths().forEach((path, item) -> item.readOperations().forEach(op -> {
            String scheme = path.startsWith("/api/device/") ? "device"
                    : path.startsWith("/api/telemetry/") ? "integration"
                    : path.equals("/api/enrolment") ? "fleet" : "operator";
            boolean open = path.startsWith("/api/keys");
            if (!open) {
                op.addSecurityItem(new SecurityRequirement().addList(scheme));
                if (scheme.equals("operator")) {
                    op.addSecurityItem(new SecurityRequirement().addList("token")); // either one
                }
            }
            COMMON.forEach((status, text) -> {
                if (op.getResponses() != null && !op.getResponses().containsKey(status)
                        && (!open || !status.equals("401") && !status.equals("403"))) {
                    op.getResponses().addApiResponse(status, new ApiResponse().description(text)
                            .content(new Content().addMediaType("application/problem+json",
                                    new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM)))));
                }
            });
        }));
    }
}
