package org.stbguest.operator.device;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** An enrolled box. Its token is stored only as a SHA-256 hash. */
@Entity
@Table(name = "device")
class DeviceEntity {

    @Id
    private UUID id;
    @Column(nullable = false, unique = true)
    private String serial;
    @Column(name = "hardware_model", nullable = false)
    private String hardwareModel;
    @Column(name = "token_hash", nullable = false, unique = true)
    private String tokenHash;
    @Column(name = "enrolled_at", nullable = false)
    private Instant enrolledAt;
    @Column(name = "last_check_in")
    private Instant lastCheckIn;
    @Column
    private String account;
    @Column
    private String region;
    @org.hibernate.annotations.JdbcTypeCode(org.hibernate.type.SqlTypes.ARRAY)
    @Column(nullable = false, columnDefinition = "text[]")
    private String[] tags = new String[0];

    protected DeviceEntity() {
    }

    DeviceEntity(UUID id, String serial, String hardwareModel, String tokenHash, Instant enrolledAt, String account) {
        this.account = account;
        this.id = id;
        this.serial = serial;
        this.hardwareModel = hardwareModel;
        this.tokenHash = tokenHash;
        this.enrolledAt = enrolledAt;
    }

    UUID id() {
        return id;
    }

    String serial() {
        return serial;
    }

    String hardwareModel() {
        return hardwareModel;
    }

    Instant enrolledAt() {
        return enrolledAt;
    }

    Instant lastCheckIn() {
        return lastCheckIn;
    }

    void replaceToken(String hash) {
        this.tokenHash = hash;
    }

    void checkedIn(Instant at) {
        this.lastCheckIn = at;
    }

    String account() {
        return account;
    }

    String region() {
        return region;
    }

    java.util.List<String> tags() {
        return tags == null ? java.util.List.of() : java.util.List.of(tags);
    }

    /** Sets what an import says of the box: its subscriber account, region and tags (each null: unchanged). */
    void describe(String account, String region, java.util.List<String> tags) {
        if (account != null) {
            this.account = account.isEmpty() ? null : account;
        }
        if (region != null) {
            this.region = region.isEmpty() ? null : region;
        }
        if (tags != null) {
            this.tags = tags.toArray(String[]::new);
        }
    }
}
