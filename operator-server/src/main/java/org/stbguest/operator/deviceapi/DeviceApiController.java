package org.stbguest.operator.deviceapi;

import java.io.IOException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.stbguest.device.api.CheckIn;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceApi;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.image.Digest;
import org.stbguest.operator.StbProperties;
import org.stbguest.operator.device.DeviceService;
import org.stbguest.operator.image.ImageService;
import org.stbguest.operator.rollout.RolloutService;
import org.stbguest.operator.security.DevicePrincipal;
import org.stbguest.operator.telemetry.TelemetryService;

/**
 * The device-facing API. Every call is authenticated by the box's own token, and a box can only speak for itself:
 * the device id always comes from the token, never from the request.
 */
@RestController
class DeviceApiController {

    private final DeviceService devices;
    private final RolloutService rollouts;
    private final TelemetryService telemetry;
    private final ImageService images;
    private final StbProperties props;

    DeviceApiController(DeviceService devices, RolloutService rollouts, TelemetryService telemetry, ImageService images,
                        StbProperties props) {
        this.devices = devices;
        this.rollouts = rollouts;
        this.telemetry = telemetry;
        this.images = images;
        this.props = props;
    }

    @PostMapping(DeviceApi.CHECK_IN)
    DesiredState checkIn(@AuthenticationPrincipal DevicePrincipal device, @RequestBody CheckIn checkIn) {
        devices.recordCheckIn(device.deviceId(), checkIn);
        return new DesiredState(rollouts.directivesFor(device), props.checkInInterval().toMillis());
    }

    @PostMapping(DeviceApi.REPORTS)
    @ResponseStatus(HttpStatus.ACCEPTED)
    void report(@AuthenticationPrincipal DevicePrincipal device, @RequestBody DeviceReport report) {
        telemetry.recordReport(device.deviceId(), report);
    }

    @GetMapping(path = DeviceApi.CHUNK, produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    byte[] chunk(@PathVariable String rootDigest, @PathVariable int index) throws IOException {
        return images.chunk(Digest.parse(rootDigest), index);
    }
}
