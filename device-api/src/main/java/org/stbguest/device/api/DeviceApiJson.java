package org.stbguest.device.api;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The JSON mapper both sides use for the device API, so box and server agree on the wire form. */
public final class DeviceApiJson {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private DeviceApiJson() {
    }

    /** A shared, thread-safe mapper. Unknown properties are ignored so a newer server can talk to an older box. */
    public static JsonMapper mapper() {
        return MAPPER;
    }
}
