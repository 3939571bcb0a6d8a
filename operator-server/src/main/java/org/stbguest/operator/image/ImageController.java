package org.stbguest.operator.image;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.security.Principal;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.bind.annotation.RequestBody;
import org.stbguest.image.DetachedSignature;
import org.stbguest.image.Ed25519;
import org.stbguest.image.KeyId;
import org.stbguest.image.trust.KeySet;
import org.stbguest.operator.trust.KeySetService;

/** Images for operators: upload, sign, release, revoke, garbage-collect; and the current release keys. */
@RestController
class ImageController {

    /** The keys a box pins to decide which images it trusts. */
    record ReleaseKeys(int threshold, List<PublicKeyView> keys) {
    }

    record PublicKeyView(String keyId, String algorithm, String publicKeyBase64) {
    }

    /** An image as the API shows it. */
    record ImageResponse(long id, String role, long version, long securityVersion, List<String> hardwareModels,
                         long size, String rootDigest, ImageState state, java.time.Instant createdAt,
                         boolean damaged, String damage) {
        static ImageResponse of(ImageView v) {
            return new ImageResponse(v.id(), v.role(), v.version(), v.securityVersion(), v.hardwareModels(), v.size(),
                    v.rootDigest().hex(), v.state(), v.createdAt(), v.damagedAt() != null, v.damage());
        }
    }

    /** The longest grace a garbage collection may be given: a year. */
    static final long MAX_GRACE_MINUTES = 366L * 24 * 60;

    private final ImageService images;
    private final KeySetService keySets;

    ImageController(ImageService images, KeySetService keySets) {
        this.images = images;
        this.keySets = keySets;
    }

    /** Uploads an image as the raw request body ({@code application/octet-stream}). */
    @PostMapping(path = "/api/images", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    ImageResponse upload(HttpServletRequest request, @RequestParam String role, @RequestParam long version,
                         @RequestParam(defaultValue = "0") long securityVersion, @RequestParam List<String> models,
                         Principal who) throws IOException {
        var req = new ImageService.UploadRequest(role, version, securityVersion, new LinkedHashSet<>(models));
        return ImageResponse.of(images.upload(request.getInputStream(), req, who.getName()));
    }

    @GetMapping("/api/images")
    List<ImageResponse> list() {
        return images.list().stream().map(ImageResponse::of).toList();
    }

    @GetMapping("/api/images/{id}")
    ImageResponse get(@PathVariable long id) {
        return ImageResponse.of(images.get(id));
    }

    /** The signed manifest (canonical bytes and signatures), e.g. for factory provisioning or offline signing. */
    @GetMapping("/api/images/{id}/manifest")
    org.stbguest.image.SignedManifest manifest(@PathVariable long id) {
        return images.get(id).signedManifest();
    }

    /** Adds an offline signature: {@code {keyId, signatureBase64}} over the manifest's canonical bytes. */
    @PostMapping("/api/images/{id}/signatures")
    ImageResponse sign(@PathVariable long id, @RequestBody DetachedSignature signature, Principal who) {
        return ImageResponse.of(images.addSignature(id, signature, who.getName()));
    }

    @PostMapping("/api/images/{id}/release")
    ImageResponse release(@PathVariable long id, Principal who) {
        return ImageResponse.of(images.release(id, who.getName()));
    }

    @PostMapping("/api/images/{id}/revoke")
    ImageResponse revoke(@PathVariable long id, Principal who) {
        return ImageResponse.of(images.revoke(id, who.getName()));
    }

    /** Deletes chunks no image references (older than {@code graceMinutes}, default 60). */
    @PostMapping("/api/images/gc")
    java.util.Map<String, Integer> gc(@RequestParam(defaultValue = "60") long graceMinutes, Principal who) throws IOException {
        if (graceMinutes < 0 || graceMinutes > MAX_GRACE_MINUTES) {
            throw new org.stbguest.operator.web.ApiException.BadRequest("invalid-grace",
                    "graceMinutes must be in 0.." + MAX_GRACE_MINUTES);
        }
        return java.util.Map.of("deletedChunks", images.collectGarbage(java.time.Duration.ofMinutes(graceMinutes), who.getName()));
    }

    @GetMapping("/api/keys/release")
    ReleaseKeys releaseKeys() {
        KeySet current = keySets.current();
        return new ReleaseKeys(current.release().threshold(), current.release().keys().stream()
                .map(k -> new PublicKeyView(KeyId.of(k).hex(), "Ed25519",
                        Base64.getEncoder().encodeToString(Ed25519.rawPublicKey(k)))).toList());
    }
}
