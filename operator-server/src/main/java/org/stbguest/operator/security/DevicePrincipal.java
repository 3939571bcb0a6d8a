package org.stbguest.operator.security;

import java.util.List;
import java.util.UUID;

/**
 * The authenticated box behind a device-API request, with the attributes a rollout's filter reads, all from the one
 * query that checked its token.
 *
 * @param generation the generation of the fleet's rollout material when the token was checked (read in the same
 *                   query; a check-in answers from material of that generation or newer)
 */
public record DevicePrincipal(UUID deviceId, String hardwareModel, String serial, String region, List<String> tags,
                             long generation) {

    public DevicePrincipal {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /** The box's name where Spring asks for one ({@code Authentication.getName()}): its id, made cheaply. */
    @Override
    public String toString() {
        return "device:" + deviceId;
    }

    /** A box known only by id and model (tests). */
    public DevicePrincipal(UUID deviceId, String hardwareModel) {
        this(deviceId, hardwareModel, null, null, List.of(), 0);
    }
}
