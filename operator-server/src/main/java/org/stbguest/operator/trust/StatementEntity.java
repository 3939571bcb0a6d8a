package org.stbguest.operator.trust;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A signed director statement. The id is its sequence number. */
@Entity
@Table(name = "statement")
class StatementEntity {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long sequence;
    @Column(nullable = false)
    private String stream;
    @Column(nullable = false)
    private String kind;
    @Column(nullable = false)
    private byte[] content;
    @Column(nullable = false)
    private String signatures;
    @Column(name = "expires_at", nullable = false)
    private Instant expiresAt;
    @Column(name = "created_at", nullable = false)
    private Instant createdAt;
    @Column(name = "broadcast_until")
    private Instant broadcastUntil;

    protected StatementEntity() {
    }

    StatementEntity(String stream, String kind, Instant expiresAt, Instant createdAt) {
        this.stream = stream;
        this.kind = kind;
        this.expiresAt = expiresAt;
        this.createdAt = createdAt;
        this.content = new byte[0];
        this.signatures = "[]";
    }

    /** The distributor repeats this statement on the control group until {@code until}. */
    void broadcastUntil(Instant until) {
        this.broadcastUntil = until;
    }

    void sealed(byte[] content, String signatures) {
        this.content = content;
        this.signatures = signatures;
    }

    Long sequence() {
        return sequence;
    }

    String stream() {
        return stream;
    }

    String kind() {
        return kind;
    }

    byte[] content() {
        return content;
    }

    String signatures() {
        return signatures;
    }

    Instant expiresAt() {
        return expiresAt;
    }

    Instant createdAt() {
        return createdAt;
    }
}
