package org.stbguest.device.api;

import org.stbguest.image.SignedManifest;

/**
 * An image the box should stage: its signed manifest (which the box verifies itself: the server is not trusted to
 * vouch for images) and, when a multicast transmission carries it, where to receive it. Without a transmission the
 * box fetches the chunks by unicast.
 */
public record ImageOffer(SignedManifest manifest, TransmissionInfo transmission) {

    public ImageOffer {
        if (manifest == null) {
            throw new IllegalArgumentException("manifest is required");
        }
    }
}
