package org.stbguest.operator.trust;

import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.stbguest.image.trust.SignedStatement;

/** What the distributor repeats on the control group (account with role {@code DISTRIBUTOR}). */
@RestController
class BroadcastController {

    private final DirectorService director;

    BroadcastController(DirectorService director) {
        this.director = director;
    }

    /** The signed activations (a wave's, a rollback's) to repeat on the control group now. */
    @GetMapping("/api/distributor/statements")
    List<SignedStatement> statements() {
        return director.broadcasts();
    }
}
