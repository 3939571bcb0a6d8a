package org.stbguest.operator.transmission;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.stbguest.multicast.TransmissionJob;

/** The headend distributor's view: which transmissions to send, their images, and "on the air" acknowledgements. */
@RestController
@RequestMapping("/api/distributor/transmissions")
class DistributorController {

    private final TransmissionService transmissions;

    DistributorController(TransmissionService transmissions) {
        this.transmissions = transmissions;
    }

    @GetMapping
    List<TransmissionJob> live() {
        return transmissions.liveJobs();
    }

    @GetMapping("/{id}")
    TransmissionJob get(@PathVariable long id) {
        return transmissions.job(id);
    }

    @PostMapping("/{id}/sending")
    TransmissionJob sending(@PathVariable long id) {
        return transmissions.markSending(id);
    }

    @GetMapping("/{id}/image")
    void image(@PathVariable long id, HttpServletResponse response) throws IOException {
        response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
        transmissions.copyImage(id, response.getOutputStream());
    }
}
