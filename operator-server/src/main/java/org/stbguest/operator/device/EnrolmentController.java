package org.stbguest.operator.device;

import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.stbguest.device.api.Enrollment;

/**
 * Boxes enrolling themselves: {@code POST /api/enrolment} with the fleet enrolment secret as bearer token (the
 * security chain checks it), once per box; the answer carries the box's own token, shown this once.
 */
@RestController
class EnrolmentController {

    record SelfEnrolment(String serial, String hardwareModel, String account, String region, List<String> tags) {
    }

    private final DeviceService devices;

    EnrolmentController(DeviceService devices) {
        this.devices = devices;
    }

    @PostMapping(org.stbguest.device.api.DeviceApi.ENROLMENT)
    @ResponseStatus(HttpStatus.CREATED)
    Enrollment enrol(@RequestBody SelfEnrolment req) {
        return devices.enrollByFleet(req.serial(), req.hardwareModel(), req.account(), req.region(), req.tags());
    }
}
