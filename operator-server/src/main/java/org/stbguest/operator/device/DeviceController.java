package org.stbguest.operator.device;

import java.security.Principal;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.stbguest.device.api.Enrollment;
import org.stbguest.operator.web.ApiException;

/** Device enrolment and registry for operators. */
@RestController
@RequestMapping("/api/devices")
class DeviceController {

    record EnrollRequest(String serial, String hardwareModel, String account, String region, List<String> tags) {
    }

    private final DeviceService devices;

    DeviceController(DeviceService devices) {
        this.devices = devices;
    }

    /** Enrols a device; the response carries its token, shown this once. */
    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    Enrollment enroll(@RequestBody EnrollRequest req, Principal who) {
        return devices.enroll(req.serial(), req.hardwareModel(), req.account(), req.region(), req.tags(),
                who.getName());
    }

    /**
     * Sets boxes' subscriber accounts, regions and tags from a CSV file ({@code serial} and any of {@code account},
     * {@code region}, {@code tags}), all or none.
     */
    @PostMapping(path = "/attributes", consumes = "text/csv")
    DeviceService.ImportResult importAttributes(@RequestBody String csv, Principal who) {
        return devices.importAttributes(csv, who.getName());
    }

    @GetMapping
    List<DeviceView> list() {
        return devices.list();
    }

    @GetMapping("/{id}")
    DeviceView get(@PathVariable UUID id) {
        return devices.find(id).orElseThrow(() -> new ApiException.NotFound("device-not-found", "no device " + id));
    }
}
