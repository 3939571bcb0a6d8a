package org.stbguest.operator.image;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.stbguest.image.Manifest;

/** A stored, signed image: its manifest's canonical bytes and signatures, and its lifecycle state. */
@Entity
@Table(name = "image")
class ImageEntity {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;
    @Column(name = "root_digest", nullable = false, unique = true)
    private String rootDigest;
    @Column(nullable = false)
    private String role;
    @Column(nullable = false)
    private long version;
    @Column(name = "security_version", nullable = false)
    private long securityVersion;
    @Column(name = "hardware_models", nullable = false)
    private String hardwareModels;
    @Column(name = "size_bytes", nullable = false)
    private long sizeBytes;
    @Column(name = "chunk_size", nullable = false)
    private int chunkSize;
    @Column(nullable = false)
    private byte[] manifest;
    @Column(nullable = false)
    private String signatures;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private ImageState state;
    @Column(name = "created_at", nullable = false)
    private Instant createdAt;
    @Column(name = "damaged_at")
    private Instant damagedAt;
    @Column(name = "damage")
    private String damage;

    protected ImageEntity() {
    }

    ImageEntity(Manifest m, byte[] manifestBytes, String signaturesJson, ImageState state, Instant createdAt) {
        this.rootDigest = m.rootDigest().hex();
        this.role = m.role();
        this.version = m.version();
        this.securityVersion = m.securityVersion();
        this.hardwareModels = String.join(",", m.hardwareModels());
        this.sizeBytes = m.size();
        this.chunkSize = m.chunkSize();
        this.manifest = manifestBytes;
        this.signatures = signaturesJson;
        this.state = state;
        this.createdAt = createdAt;
    }

    void signaturesChanged(String signaturesJson) {
        this.signatures = signaturesJson;
    }

    /** DRAFT → RELEASED; the caller has checked the signatures against the release threshold. */
    void release() {
        if (state != ImageState.DRAFT) {
            throw new org.stbguest.operator.web.ApiException.Conflict("illegal-image-transition",
                    "image " + id + " is " + state + "; only a draft can be released");
        }
        state = ImageState.RELEASED;
    }

    /** Any state → REVOKED: never offered to a box again. */
    void revoke() {
        if (state == ImageState.REVOKED) {
            throw new org.stbguest.operator.web.ApiException.Conflict("illegal-image-transition",
                    "image " + id + " is already revoked");
        }
        state = ImageState.REVOKED;
    }

    Long id() {
        return id;
    }

    String rootDigest() {
        return rootDigest;
    }

    String role() {
        return role;
    }

    long version() {
        return version;
    }

    long securityVersion() {
        return securityVersion;
    }

    List<String> hardwareModels() {
        return Arrays.asList(hardwareModels.split(","));
    }

    long sizeBytes() {
        return sizeBytes;
    }

    byte[] manifest() {
        return manifest;
    }

    String signatures() {
        return signatures;
    }

    ImageState state() {
        return state;
    }

    Instant createdAt() {
        return createdAt;
    }

    Instant damagedAt() {
        return damagedAt;
    }

    String damage() {
        return damage;
    }
}
