package org.stbguest.operator.trust;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One version of the key set, as signed. */
@Entity
@Table(name = "key_set")
class KeySetEntity {

    @Id
    private long version;
    @Column(nullable = false)
    private byte[] content;
    @Column(nullable = false)
    private String signatures;
    @Column(name = "expires_at", nullable = false)
    private Instant expiresAt;
    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    protected KeySetEntity() {
    }

    KeySetEntity(long version, byte[] content, String signatures, Instant expiresAt, Instant createdAt) {
        this.version = version;
        this.content = content;
        this.signatures = signatures;
        this.expiresAt = expiresAt;
        this.createdAt = createdAt;
    }

    long version() {
        return version;
    }

    byte[] content() {
        return content;
    }

    String signatures() {
        return signatures;
    }
}
