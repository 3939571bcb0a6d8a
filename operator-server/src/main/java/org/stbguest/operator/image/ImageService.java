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
            if (copyWithLimit(body, temp) == 0) {
                throw new ApiException.BadRequest("empty-image", "the upload has no bytes: an image cannot be empty");
            }
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

    /**
     * The manifest of a released image for a device of {@code model}: a box is never sent an image built for another
     * hardware model.
     */
    @Transactional(readOnly = true)
    public Manifest releasedManifestFor(Digest root, String model) {
        Manifest m = releasedManifest(root);
        if (!m.supportsModel(model)) {
            throw new ApiException.Forbidden("wrong-model", "image " + root.shortHex() + " is for "
                    + m.hardwareModels() + ", not for a " + model);
        }
        return m;
    }

    /** Ranges up to this length are read and checked into memory before a byte of the answer goes out. */
    public static final long BUFFERED_RANGE = 16L << 20;

    /**
     * Bytes {@code [offset, offset + length)} of an image (at most {@link #BUFFERED_RANGE}), every chunk they touch
     * read and checked against its digest first, so that a damaged store is found before any success header is sent.
     *
     * @throws ApiException.Unavailable when a stored chunk is missing or no longer matches; the image is marked
     *                                  damaged and the error logged with the image and chunk
     */
    public byte[] readRange(Manifest manifest, long offset, long length) {
        if (length > BUFFERED_RANGE) {
            throw new IllegalArgumentException("ranges over " + BUFFERED_RANGE + " bytes are streamed, not read");
        }
        byte[] out = new byte[(int) length];
        int chunkSize = manifest.chunkSize();
        long end = offset + length;
        for (int c = (int) (offset / chunkSize); (long) c * chunkSize < end; c++) {
            byte[] data = verifiedChunk(manifest, c);
            long chunkStart = (long) c * chunkSize;
            int from = (int) Math.max(0, offset - chunkStart);
            int to = (int) Math.min(data.length, end - chunkStart);
            System.arraycopy(data, from, out, (int) (chunkStart + from - offset), to - from);
        }
        return out;
    }

    /** Checks every chunk a range touches (a first pass before a long range is streamed); see {@link #readRange}. */
    public void checkRange(Manifest manifest, long offset, long length) {
        int chunkSize = manifest.chunkSize();
        for (int c = (int) (offset / chunkSize); (long) c * chunkSize < offset + length; c++) {
            verifiedChunk(manifest, c);
        }
    }

    /**
     * Copies a byte range of an image. Callers check the range first ({@link #checkRange}); a chunk damaged in
     * between is still caught here, after the headers: the answer is then cut short, which a client sees at once as
     * a truncated body, never as a wait.
     */
    public void copyRange(Manifest manifest, long offset, long length, OutputStream out) throws IOException {
        try {
            chunks.copyRange(manifest, offset, length, out);
        } catch (ImageVerificationException | java.nio.file.NoSuchFileException e) {
            damaged(manifest, -1, e);
            throw new IOException("image " + manifest.rootDigest().shortHex() + " was damaged while being served", e);
        }
    }

    private byte[] verifiedChunk(Manifest manifest, int index) {
        try {
            return chunks.get(manifest.chunkDigests().get(index));
        } catch (ImageVerificationException | java.nio.file.NoSuchFileException e) {
            throw damaged(manifest, index, e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private ApiException damaged(Manifest manifest, int index, Exception cause) {
        String what = (index < 0 ? "a chunk" : "chunk " + index) + " of image " + manifest.rootDigest().shortHex()
                + (cause instanceof java.nio.file.NoSuchFileException ? " is missing from the store"
                : " no longer matches its digest: " + cause.getMessage());
        var image = images.findByRootDigest(manifest.rootDigest().hex());
        long id = image.map(ImageEntity::id).orElse(-1L);
        log.error("event=stored_chunk_damaged image={} root={} chunk={} detail=\"{}\"", id,
                manifest.rootDigest().shortHex(), index, what);
        if (id >= 0 && images.markDamaged(id, clock.instant(), what) > 0) {
            audit.record("system", "image.damaged", "image/" + id, what);
        }
        return new ApiException.Unavailable("image-damaged", what + "; the image cannot be served until it is "
                + "uploaded again");
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

    /** One verified chunk of a released image for a device of {@code model}, for unicast repair. */
    public byte[] chunk(Digest root, int index, String model) {
        Manifest m = releasedManifestFor(root, model);
        if (index < 0 || index >= m.chunkDigests().size()) {
            throw new ApiException.NotFound("chunk-not-found", "image " + root.shortHex() + " has "
                    + m.chunkDigests().size() + " chunks, not " + (index + 1));
        }
        return verifiedChunk(m, index);
    }

    /**
     * Writes a whole image to {@code out} (for the distributor), every chunk checked first so that a damaged store
     * is an error before the answer starts; not transactional, so that damage can be recorded.
     */
    public void copyImage(long id, OutputStream out) throws IOException {
        Manifest m = ManifestCodec.decode(entity(id).manifest());
        checkRange(m, 0, m.size());
        copyRange(m, 0, m.size(), out);
    }

    private long copyWithLimit(InputStream in, Path temp) throws IOException {
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
        return total;
    }

    private ImageEntity entity(long id) {
        return images.findById(id).orElseThrow(() -> new ApiException.NotFound("image-not-found", "no image " + id));
    }

    private ImageView view(ImageEntity e) {
        List<DetachedSignature> sigs = DeviceApiJson.signaturesFromJson(e.signatures());
        SignedManifest signed = new SignedManifest(java.util.Base64.getEncoder().encodeToString(e.manifest()), sigs);
        return new ImageView(e.id(), e.role(), e.version(), e.securityVersion(), e.hardwareModels(), e.sizeBytes(),
                Digest.parse(e.rootDigest()), e.state(), e.createdAt(), signed, e.damagedAt(), e.damage());
    }
}
