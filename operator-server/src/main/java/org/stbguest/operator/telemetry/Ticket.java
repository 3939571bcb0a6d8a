package org.stbguest.operator.telemetry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A call-center ticket naming a device, a category and when the subscriber called. */
@Entity
@Table(name = "ticket")
class Ticket {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;
    @Column(name = "device_id")
    private UUID deviceId;
    @Column(nullable = false)
    private boolean matched;
    @Column(nullable = false)
    private String category;
    @Column(name = "external_id")
    private String externalId;
    @Column(name = "opened_at", nullable = false)
    private Instant openedAt;
    @Column(name = "received_at", nullable = false)
    private Instant receivedAt;

    protected Ticket() {
    }

    Ticket(UUID deviceId, String category, String externalId, Instant openedAt, Instant receivedAt) {
        this.deviceId = deviceId;
        this.category = category;
        this.externalId = externalId;
        this.openedAt = openedAt;
        this.receivedAt = receivedAt;
    }

    boolean matched() {
        return matched;
    }

    Long id() {
        return id;
    }
}
