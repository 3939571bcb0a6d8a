package org.stbguest.operator.telemetry;

import java.security.Principal;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Operators manage the call-center systems' integration tokens. */
@RestController
class IntegrationController {

    record CreateIntegration(String name) {
    }

    private final IntegrationService integrations;

    IntegrationController(IntegrationService integrations) {
        this.integrations = integrations;
    }

    /** Creates an integration; the answer carries its token, shown this once. */
    @PostMapping("/api/integrations")
    @ResponseStatus(HttpStatus.CREATED)
    IntegrationService.NewIntegration create(@RequestBody CreateIntegration req, Principal who) {
        return integrations.create(req.name(), who.getName());
    }

    @GetMapping("/api/integrations")
    List<IntegrationService.IntegrationView> list() {
        return integrations.list();
    }

    /** Revokes an integration's token: its next request fails. */
    @PostMapping("/api/integrations/{id}/revoke")
    IntegrationService.IntegrationView revoke(@PathVariable long id, Principal who) {
        return integrations.revoke(id, who.getName());
    }
}
