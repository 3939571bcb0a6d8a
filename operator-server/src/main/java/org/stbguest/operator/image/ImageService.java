package org.stbguest.operator.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.ChunkStore;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageChunker;
import org.stbguest.image.Manifest;
import org.stbguest.image.ManifestCodec;
import org.stbguest.image.DetachedSignature;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.Ed25519;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.KeyId;
import org.stbguest.operator.StbProperties;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.trust.KeySetService;
import org.stbguest.operator.trust.ServerKeys;
import org.stbguest.operator.web.ApiException;

/**
 * Stores and signs guest images. An upload streams to a temp file (refused past the size limit, leaving nothing
 * behind), is then cut into content-addressed chunks, and becomes a draft, signed by the server's release key when
 * that key is one of the current release keys. More signatures can be added offline (stbctl); an image is released
 * only once its signatures meet the current release threshold. Garbage collection deletes chunks no image references,
 * and never a chunk an upload in flight has just written.
 */
@Service
public class ImageService {

    private static final Logger log = LoggerFactory.getLogger(ImageService.class);

    /** What an operator says about an image when uploading it. */
    public record UploadRequest(String role, long version, long securityVersion, Set<String> hardwareModels) {
    }

    private final ImageRepository images;
    private final ServerKeys keys;
    private final KeySetService keySets;
    private final java.util.concurrent.locks.ReadWriteLock gcLock = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private final AuditLog audit;
    private final Clock clock;
    private final ChunkStore chunks;
    private final Path uploads;
    private final long maxSize;

    ImageService(ImageRepository images, ServerKeys keys, KeySetService keySets, AuditLog audit, Clock clock,
                 StbProperties props) throws IOException {
        this.images = images;
        this.keys = keys;
        this.keySets = keySets;
        this.audit = audit;
        this.clock = clock;
        this.chunks = new ChunkStore(props.dataDir().resolve("store"));
        this.uploads = props.dataDir().resolve("store").resolve("uploads");
        this.maxSize = props.maxImageSize().toBytes();
        Files.createDirectories(uploads);
    }

    /** Stores and chunks an uploaded image as a draft, signed by the server's release key where it may sign. */
    @Transactional
    public ImageView upload(InputStream body, UploadRequest req, String actor) throws IOException {
        gcLock.readLock().lock();
        try {
            return store(body, req, actor);
        } finally {
            gcLock.readLock().unlock();
        }
    }

    private ImageView store(InputStream body, UploadRequest req, String actor) throws IOException {
        if (images.existsByRoleAndVersion(req.role(), req.version())) {
            throw new ApiException.Conflict("image-version-exists",
                    "role " + req.role() + " already has an image with version " + req.version());
        }
        // validate names and versions before any byte is stored
        Manifest.of(req.role(), req.version(), req.securityVersion(), req.hardwareModels(), 0,
                ImageChunker.DEFAULT_CHUNK_SIZE, List.of());
        var info = new ImageChunker.ImageInfo(req.role(), req.version(), req.securityVersion(), req.hardwareModels(),
                ImageChunker.DEFAULT_CHUNK_SIZE);
        Path temp = Files.createTempFile(uploads, "upload-", ".part");
        try {
            copyWithLimit(body, temp);
            Manifest manifest;
            try (InputStream in = Files.newInputStream(temp)) {
                manifest = ImageChunker.chunk(in, info, maxSize, (i, d, data, len) -> chunks.put(d, data, len));
            }
            if (images.findByRootDigest(manifest.rootDigest().hex()).isPresent()) {
                throw new ApiException.Conflict("image-exists", "an image with root digest "
                        + manifest.rootDigest().shortHex() + " is already stored");
            }
            boolean serverMaySign = keySets.current().release().byId().containsKey(KeyId.of(keys.releasePublicKey()));
            SignedManifest signed = serverMaySign ? SignedManifest.sign(manifest, keys.releaseSigner())
                    : SignedManifest.sign(manifest);
            ImageEntity e = images.save(new ImageEntity(manifest, ManifestCodec.encode(manifest),
                    DeviceApiJson.signaturesToJson(signed.signatures()), ImageState.DRAFT, clock.instant()));
            audit.record(actor, "image.upload", "image/" + e.id(), manifest.toString());
            log.info("event=image_stored id={} role={} version={} size={} root={}", e.id(), manifest.role(),
                    manifest.version(), manifest.size(), manifest.rootDigest().shortHex());
            return view(e);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Adds a release-key signature made elsewhere (offline signing); it must verify against a current release key. */
    @Transactional
    public ImageView addSignature(long id, DetachedSignature signature, String actor) {
        ImageEntity e = entity(id);
        var key = keySets.current().release().byId().get(signature.keyId());
        if (key == null) {
            throw new ImageVerificationException(ImageVerificationException.Reason.INSUFFICIENT_SIGNATURES,
                    "key " + signature.keyId() + " is not a release key of the current key set");
        }
        if (!Ed25519.verify(key, e.manifest(), signature.signature())) {
            throw new ImageVerificationException(ImageVerificationException.Reason.INSUFFICIENT_SIGNATURES,
                    "the signature by " + signature.keyId() + " does not verify over image " + id + "'s manifest");
        }
        List<DetachedSignature> sigs = new java.util.ArrayList<>(view(e).signedManifest().signatures());
        sigs.removeIf(s -> s.keyId().equals(signature.keyId()));
        sigs.add(signature);
        e.signaturesChanged(DeviceApiJson.signaturesToJson(sigs));
        audit.record(actor, "image.sign", "image/" + id, "key=" + signature.keyId());
        return view(e);
    }

    /** Releases a draft whose signatures meet the current release threshold. */
    @Transactional
    public ImageView release(long id, String actor) {
        ImageEntity e = entity(id);
        keySets.releaseVerifier().verify(view(e).signedManifest());
        e.release();
        audit.record(actor, "image.release", "image/" + id, e.role() + " v" + e.version());
        return view(e);
    }

    /** Revokes an image: it is never offered to a box again. */
    @Transactional
    public ImageView revoke(long id, String actor) {
        ImageEntity e = entity(id);
        e.revoke();
        audit.record(actor, "image.revoke", "image/" + id, e.role() + " v" + e.version());
        return view(e);
    }

    /** Deletes chunks no image references that are older than {@code grace}; returns how many. */
    public int collectGarbage(java.time.Duration grace, String actor) throws IOException {
        gcLock.writeLock().lock();
        try {
            java.util.Set<Digest> live = new java.util.HashSet<>();
            for (ImageEntity e : images.findAll()) {
                live.addAll(ManifestCodec.decode(e.manifest()).chunkDigests());
            }
            int deleted = chunks.collectGarbage(live::contains, clock.instant().minus(grace));
            audit.record(actor, "image.gc", "store", "deleted " + deleted + " chunks");
            return deleted;
        } finally {
            gcLock.writeLock().unlock();
        }
    }

    /** The manifest of an image by root digest, for devices (released images only). */
    @Transactional(readOnly = true)
    public Manifest releasedManifest(Digest root) {
        ImageEntity e = images.findByRootDigest(root.hex())
                .filter(i -> i.state() == ImageState.RELEASED)
                .orElseThrow(() -> new ApiException.NotFound("image-not-found", "no released image " + root.shortHex()));
        return ManifestCodec.decode(e.manifest());
    }

    /** Copies a byte range of an image. */
    public void copyRange(Manifest manifest, long offset, long length, OutputStream out) throws IOException {
        chunks.copyRange(manifest, offset, length, out);
    }

    @Transactional(readOnly = true)
    public List<ImageView> list() {
        return images.findAllByOrderByIdDesc().stream().map(this::view).toList();
    }

    @Transactional(readOnly = true)
    public ImageView get(long id) {
        return view(entity(id));
    }

    @Transactional(readOnly = true)
    public Optional<ImageView> findByDigest(Digest root) {
        return images.findByRootDigest(root.hex()).map(this::view);
    }

    /** The released image of the same role with the highest version below {@code version}, if any. */
    @Transactional(readOnly = true)
    public Optional<ImageView> previousRelease(String role, long version) {
        return images.findByRoleAndVersionLessThanOrderByVersionDesc(role, version).stream()
                .filter(e -> e.state() == ImageState.RELEASED).findFirst().map(this::view);
    }

    /** One verified chunk of a released image, for unicast repair. */
    @Transactional(readOnly = true)
    public byte[] chunk(Digest root, int index) throws IOException {
        Manifest m = releasedManifest(root);
        if (index < 0 || index >= m.chunkDigests().size()) {
            throw new ApiException.NotFound("chunk-not-found", "image " + root.shortHex() + " has "
                    + m.chunkDigests().size() + " chunks, not " + (index + 1));
        }
        return chunks.get(m.chunkDigests().get(index));
    }

    /** Writes a whole image to {@code out}. */
    @Transactional(readOnly = true)
    public void copyImage(long id, OutputStream out) throws IOException {
        chunks.copyImage(ManifestCodec.decode(entity(id).manifest()), out);
    }

    private void copyWithLimit(InputStream in, Path temp) throws IOException {
        byte[] buf = new byte[256 * 1024];
        long total = 0;
        try (OutputStream out = Files.newOutputStream(temp)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxSize) {
                    throw new ImageChunker.ImageTooLargeException(maxSize);
                }
                out.write(buf, 0, n);
            }
        }
    }

    private ImageEntity entity(long id) {
        return images.findById(id).orElseThrow(() -> new ApiException.NotFound("image-not-found", "no image " + id));
    }

    private ImageView view(ImageEntity e) {
        List<DetachedSignature> sigs = DeviceApiJson.signaturesFromJson(e.signatures());
        SignedManifest signed = new SignedManifest(java.util.Base64.getEncoder().encodeToString(e.manifest()), sigs);
        return new ImageView(e.id(), e.role(), e.version(), e.securityVersion(), e.hardwareModels(), e.sizeBytes(),
                Digest.parse(e.rootDigest()), e.state(), e.createdAt(), signed);
    }
}
