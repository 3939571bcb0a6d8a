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
import org.stbguest.image.Ed25519;

/** Image upload and listing for operators, and the public release key for boxes to pin. */
@RestController
class ImageController {

    /** The keys a box pins to decide which images it trusts. */
    record ReleaseKeys(int threshold, List<PublicKeyView> keys) {
    }

    record PublicKeyView(String keyId, String algorithm, String publicKeyBase64) {
    }

    /** An image as the API shows it. */
    record ImageResponse(long id, String role, long version, long securityVersion, List<String> hardwareModels,
                         long size, String rootDigest, ImageState state, java.time.Instant createdAt) {
        static ImageResponse of(ImageView v) {
            return new ImageResponse(v.id(), v.role(), v.version(), v.securityVersion(), v.hardwareModels(), v.size(),
                    v.rootDigest().hex(), v.state(), v.createdAt());
        }
    }

    private final ImageService images;
    private final ServerKeys keys;

    ImageController(ImageService images, ServerKeys keys) {
        this.images = images;
        this.keys = keys;
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

    @GetMapping("/api/keys/release")
    ReleaseKeys releaseKeys() {
        return new ReleaseKeys(1, List.of(new PublicKeyView(keys.releaseKeyId().hex(), "Ed25519",
                Base64.getEncoder().encodeToString(Ed25519.rawPublicKey(keys.releasePublicKey())))));
    }
}
