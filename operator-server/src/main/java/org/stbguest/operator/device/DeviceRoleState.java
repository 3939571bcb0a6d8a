package org.stbguest.operator.device;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.UUID;

/** What one device last reported for one guest role: the running image and the image in its other slot. */
@Entity
@Table(name = "device_role_state")
class DeviceRoleState {

    @Embeddable
    record Key(@Column(name = "device_id") UUID deviceId, @Column(name = "role") String role) implements Serializable {
    }

    @EmbeddedId
    private Key key;
    @Column(name = "active_digest")
    private String activeDigest;
    @Column(name = "staged_digest")
    private String stagedDigest;
    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    protected DeviceRoleState() {
    }

    DeviceRoleState(Key key) {
        this.key = key;
    }

    void update(String activeDigest, String stagedDigest, Instant at) {
        this.activeDigest = activeDigest;
        this.stagedDigest = stagedDigest;
        this.updatedAt = at;
    }

    /** A box reported a verified image written to its other slot. */
    void staged(String digest, Instant at) {
        if (!digest.equals(activeDigest)) {
            this.stagedDigest = digest;
            this.updatedAt = at;
        }
    }

    /** A box reported committing {@code digest}: what ran before is now in its other slot. */
    void activated(String digest, Instant at) {
        if (!digest.equals(activeDigest)) {
            this.stagedDigest = activeDigest;
            this.activeDigest = digest;
            this.updatedAt = at;
        }
    }

    Key key() {
        return key;
    }

    String activeDigest() {
        return activeDigest;
    }

    String stagedDigest() {
        return stagedDigest;
    }
}
