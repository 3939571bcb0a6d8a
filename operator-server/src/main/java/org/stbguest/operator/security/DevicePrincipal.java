package org.stbguest.operator.security;

import java.util.UUID;

/** The authenticated box behind a device-API request. */
public record DevicePrincipal(UUID deviceId, String hardwareModel) {
}
