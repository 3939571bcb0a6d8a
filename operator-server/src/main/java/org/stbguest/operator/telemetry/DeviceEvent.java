package org.stbguest.operator.telemetry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One report from a box (staged, activated, boot failed...). */
@Entity
@Table(name = "device_event")
class DeviceEvent {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;
    @Column(name = "device_id", nullable = false)
    private UUID deviceId;
    @Column(nullable = false)
    private String type;
    @Column(nullable = false)
    private String role;
    private String digest;
    private String slot;
    private String detail;
    @Column(name = "occurred_at", nullable = false)
    private Instant occurredAt;

    protected DeviceEvent() {
    }

    DeviceEvent(UUID deviceId, String type, String role, String digest, String slot, String detail, Instant occurredAt) {
        this.deviceId = deviceId;
        this.type = type;
        this.role = role;
        this.digest = digest;
        this.slot = slot;
        this.detail = detail;
        this.occurredAt = occurredAt;
    }

    String type() {
        return type;
    }

    /** The event as the API shows it. */
    View view() {
        return new View(id, type, role, digest, slot, detail, occurredAt);
    }

    /** A box's report as operators read it. */
    public record View(long id, String type, String role, String digest, String slot, String detail,
                       Instant occurredAt) {
    }
}
