package org.stbguest.device.api;

import java.util.List;
import org.stbguest.image.DetachedSignature;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The JSON mapper both sides use for the device API, so box and server agree on the wire form. */
public final class DeviceApiJson {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final TypeReference<List<DetachedSignature>> SIGNATURES = new TypeReference<>() {
    };

    private DeviceApiJson() {
    }

    /** Signatures as stored beside signed bytes: a JSON array of {keyId, signatureBase64}. */
    public static String signaturesToJson(List<DetachedSignature> signatures) {
        return MAPPER.writeValueAsString(signatures);
    }

    /** The inverse of {@link #signaturesToJson}. */
    public static List<DetachedSignature> signaturesFromJson(String json) {
        return MAPPER.readValue(json, SIGNATURES);
    }

    /** A shared, thread-safe mapper. Unknown properties are ignored so a newer server can talk to an older box. */
    public static JsonMapper mapper() {
        return MAPPER;
    }
}
