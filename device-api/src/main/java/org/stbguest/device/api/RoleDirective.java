package org.stbguest.device.api;

import org.stbguest.image.Digest;

/**
 * The desired state of one guest role: an image to stage into the inactive slot ({@code stage}, may be null) and the
 * image that should be running ({@code activate}, may be null for "keep what runs"). When {@code activate} names the
 * image in the other slot, the box switches to it with no download: that is how a rollback reaches it.
 */
public record RoleDirective(String role, ImageOffer stage, Digest activate) {

    public RoleDirective {
        if (role == null || role.isBlank()) {
            throw new IllegalArgumentException("role is required");
        }
    }
}
