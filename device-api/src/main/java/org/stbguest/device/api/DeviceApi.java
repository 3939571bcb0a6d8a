package org.stbguest.device.api;

/**
 * Paths of the device-facing HTTP API. A device authenticates every call with its own bearer token
 * ({@code Authorization: Bearer <token>}), obtained once at enrolment.
 */
public final class DeviceApi {

    /**
     * Self-enrolment: POST the box's serial, hardware model and optional account, region and tags with the fleet
     * enrolment secret as bearer token; get an {@link Enrollment} (201), or 409 when the serial is in service.
     */
    public static final String ENROLMENT = "/api/enrolment";

    /** Check-in: POST a {@link CheckIn}, get a {@link DesiredState}. */
    public static final String CHECK_IN = "/api/device/check-in";
    /** Reports: POST a {@link DeviceReport}. */
    public static final String REPORTS = "/api/device/reports";
    /** Reports in a batch: POST a JSON array of {@link DeviceReport} (a box's backlog). */
    public static final String REPORT_BATCH = "/api/device/report-batch";
    /** A whole image or, with a {@code Range} header, a byte range of it (RFC 7233). */
    public static final String IMAGE = "/api/device/images/{rootDigest}";
    /** One chunk of an image, for unicast repair: GET with the image's root digest and the chunk index. */
    public static final String CHUNK = "/api/device/images/{rootDigest}/chunks/{index}";

    private DeviceApi() {
    }

    /** The path of one image (a byte range of it with a {@code Range} header). */
    public static String imagePath(org.stbguest.image.Digest rootDigest) {
        return "/api/device/images/" + rootDigest.hex();
    }

    /** The chunk path for one image and chunk. */
    public static String chunkPath(org.stbguest.image.Digest rootDigest, int index) {
        return "/api/device/images/" + rootDigest.hex() + "/chunks/" + index;
    }
}
