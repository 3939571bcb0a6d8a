package org.stbguest.device.api;

/**
 * What one guest role should hold: an image to stage into the inactive slot ({@code stage}). Which image should
 * <em>run</em> is never said here but in a signed director statement, so that only the director key can make a box
 * switch slots.
 */
public record RoleDirective(String role, ImageOffer stage) {

    public RoleDirective {
        if (role == null || role.isBlank()) {
            throw new IllegalArgumentException("role is required");
        }
    }
}
