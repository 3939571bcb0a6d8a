package org.stbguest.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.stbguest.device.api.DeviceApiJson;
import tools.jackson.databind.JsonNode;

/**
 * The OpenAPI document lists every endpoint the server maps, each with its security and its problem responses; it
 * and Swagger UI are for operators only.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenApiTest extends ApiTestSupport {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws IOException {
        var dataDir = Files.createTempDirectory("stb-openapi-test-");
        r.add("stb.data-dir", dataDir::toString);
        r.add("stb.keys.passphrase", () -> "test-passphrase");
        r.add("server.shutdown", () -> "immediate");
        r.add("stb.security.accounts.ops.password", () -> ApiTestSupport.quickHash("ops-secret"));
        r.add("stb.security.accounts.ops.roles", () -> "ADMIN");
    }

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    @Test
    void everyMappedEndpointIsInTheDocumentWithItsProblemResponses() throws Exception {
        HttpResponse<String> doc = get("/v3/api-docs", HardeningApiTest.basic("ops", "ops-secret"));
        assertThat(doc.statusCode()).as(doc.body()).isEqualTo(200);
        JsonNode paths = DeviceApiJson.mapper().readTree(doc.body()).get("paths");
        List<String> missing = new ArrayList<>();
        int endpoints = 0;
        for (var info : mappings.getHandlerMethods().keySet()) {
            for (String pattern : info.getPathPatternsCondition().getPatternValues()) {
                if (pattern.equals("/error") || pattern.startsWith("/v3/api-docs") || pattern.startsWith("/swagger-ui")) {
                    continue;
                }
                var methods = info.getMethodsCondition().getMethods();
                for (RequestMethod m : methods.isEmpty() ? List.of(RequestMethod.GET) : methods) {
                    endpoints++;
                    JsonNode op = paths.path(pattern).path(m.name().toLowerCase(Locale.ROOT));
                    if (op.isMissingNode()) {
                        missing.add(m + " " + pattern);
                    } else if (!op.path("responses").has("400") || !op.path("responses").has("404")) {
                        missing.add(m + " " + pattern + " (its problem responses)");
                    }
                }
            }
        }
        assertThat(endpoints).as("the server maps its endpoints").isGreaterThan(30);
        assertThat(missing).as("endpoints missing from the OpenAPI document").isEmpty();
        assertThat(paths.path("/api/device/check-in").path("post").path("security").toString()).contains("device");
        assertThat(paths.path("/api/rollouts").path("post").path("responses").path("409").path("content")
                .has("application/problem+json")).isTrue();
    }

    @Test
    void theDocumentAndSwaggerUiAreForOperatorsOnly() throws Exception {
        assertThat(get("/v3/api-docs", null).statusCode()).isEqualTo(401);
        assertThat(get("/swagger-ui/index.html", null).statusCode()).isEqualTo(401);
        HttpResponse<String> ui = get("/swagger-ui/index.html", HardeningApiTest.basic("ops", "ops-secret"));
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.body()).containsIgnoringCase("swagger");
    }

}
