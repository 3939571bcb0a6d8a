package org.stbguest.operator.deviceapi;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
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
import org.stbguest.image.Manifest;
import org.stbguest.operator.StbProperties;
import org.stbguest.operator.device.DeviceService;
import org.stbguest.operator.image.ImageService;
import org.stbguest.operator.security.DevicePrincipal;
import org.stbguest.operator.security.DeviceRateLimiter;
import org.stbguest.operator.web.ApiException;
import org.stbguest.operator.telemetry.TelemetryService;

/**
 * The device-facing API. Every call is authenticated by the box's own token, and a box can only speak for itself:
 * the device id always comes from the token, never from the request.
 */
@RestController
class DeviceApiController {

    private final DeviceService devices;
    private final TelemetryService telemetry;
    private final ImageService images;
    private final StbProperties props;
    private final CheckInAnswers answers;
    private final DeviceRateLimiter checkInLimiter;
    private final io.micrometer.core.instrument.Counter answered;
    private final io.micrometer.core.instrument.Counter limited;
    private final io.micrometer.core.instrument.Timer answerTime;

    DeviceApiController(DeviceService devices, TelemetryService telemetry, ImageService images,
                        CheckInAnswers answers, StbProperties props, java.time.Clock clock,
                        io.micrometer.core.instrument.MeterRegistry meters) {
        this.answered = meters.counter("stb.checkins", "outcome", "answered");
        this.limited = meters.counter("stb.checkins", "outcome", "rate_limited");
        this.answerTime = io.micrometer.core.instrument.Timer.builder("stb.checkin.answer")
                .description("time to record a check-in and make its answer, HTTP aside").register(meters);
        io.micrometer.core.instrument.FunctionCounter.builder("stb.checkin.cache.loads", answers,
                CheckInAnswers::rebuilds).description("times the rollout material was read for check-ins")
                .register(meters);
        io.micrometer.core.instrument.Gauge.builder("stb.checkin.queued", devices, DeviceService::queuedCheckIns)
                .description("check-in states waiting for the next batch write").register(meters);
        this.answers = answers;
        this.checkInLimiter = new DeviceRateLimiter(props.limits().checkInsPerMinute(), clock);
        this.devices = devices;
        this.telemetry = telemetry;
        this.images = images;
        this.props = props;
    }

    @PostMapping(DeviceApi.CHECK_IN)
    DesiredState checkIn(@AuthenticationPrincipal DevicePrincipal device, @RequestBody CheckIn checkIn) {
        if (!checkInLimiter.tryAcquire(device.deviceId())) {
            limited.increment();
            throw new ApiException.TooManyRequests("check-in-rate-exceeded", "this device checks in more often than "
                    + props.limits().checkInsPerMinute() + " times a minute");
        }
        long started = System.nanoTime();
        devices.recordCheckIn(device.deviceId(), checkIn);
        DesiredState answer = answers.answer(device, checkIn);
        answerTime.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        answered.increment();
        return answer;
    }

    /**
     * A byte range of a released image (RFC 7233 single range; {@code Range: bytes=first-last}), for unicast repair
     * of whatever a box missed. Without a Range header the whole image is sent.
     */
    @GetMapping(path = DeviceApi.IMAGE)
    void image(@AuthenticationPrincipal DevicePrincipal device, @PathVariable String rootDigest,
               HttpServletRequest request, HttpServletResponse response) throws IOException {
        Manifest m = images.releasedManifestFor(Digest.parse(rootDigest), device.hardwareModel());
        String range = request.getHeader("Range");
        long[] r = range == null ? new long[] {0, m.size()} : ByteRange.parse(range, m.size());
        if (r == null) {
            response.setStatus(HttpServletResponse.SC_REQUESTED_RANGE_NOT_SATISFIABLE);
            response.setHeader("Content-Range", "bytes */" + m.size());
            return;
        }
        // every chunk of the answer is checked before the status line goes out: a damaged store answers 503 with a
        // problem detail, never a success header followed by an error body
        byte[] buffered = null;
        if (r[1] <= ImageService.BUFFERED_RANGE) {
            buffered = images.readRange(m, r[0], r[1]);
        } else {
            images.checkRange(m, r[0], r[1]);
        }
        response.setHeader("Accept-Ranges", "bytes");
        response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
        if (range != null) {
            response.setStatus(HttpServletResponse.SC_PARTIAL_CONTENT);
            response.setHeader("Content-Range", "bytes " + r[0] + "-" + (r[0] + r[1] - 1) + "/" + m.size());
        }
        response.setContentLengthLong(r[1]);
        if (buffered != null) {
            response.getOutputStream().write(buffered);
        } else {
            images.copyRange(m, r[0], r[1], response.getOutputStream());
        }
    }

    @PostMapping(DeviceApi.REPORTS)
    @ResponseStatus(HttpStatus.ACCEPTED)
    void report(@AuthenticationPrincipal DevicePrincipal device, @RequestBody DeviceReport report) {
        telemetry.recordReport(device.deviceId(), report);
    }

    /** A batch of reports (at most {@code TelemetryService.MAX_BATCH}): a box's backlog, in one request. */
    @PostMapping(DeviceApi.REPORT_BATCH)
    @ResponseStatus(HttpStatus.ACCEPTED)
    java.util.Map<String, Integer> reports(@AuthenticationPrincipal DevicePrincipal device,
                                           @RequestBody java.util.List<DeviceReport> reports) {
        return java.util.Map.of("stored", telemetry.recordReports(device.deviceId(), reports));
    }

    @GetMapping(path = DeviceApi.CHUNK, produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    byte[] chunk(@AuthenticationPrincipal DevicePrincipal device, @PathVariable String rootDigest,
                 @PathVariable int index) {
        return images.chunk(Digest.parse(rootDigest), index, device.hardwareModel());
    }
}
