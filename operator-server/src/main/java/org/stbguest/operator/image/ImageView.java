package org.stbguest.operator.image;

import java.time.Instant;
import java.util.List;
import org.stbguest.image.Digest;
import org.stbguest.image.SignedManifest;

/**
 * What other features and the API see of an image.
 *
 * @param damage what was found wrong with its stored chunks while serving them (null when nothing was)
 */
public record ImageView(long id, String role, long version, long securityVersion, List<String> hardwareModels,
                        long size, Digest rootDigest, ImageState state, Instant createdAt, SignedManifest signedManifest,
                        Instant damagedAt, String damage) {
}
