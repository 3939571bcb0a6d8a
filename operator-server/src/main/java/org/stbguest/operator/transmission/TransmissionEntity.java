package org.stbguest.operator.transmission;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One image on the air for one rollout. Owns its state transitions. */
@Entity
@Table(name = "transmission")
class TransmissionEntity {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;
    @Column(name = "rollout_id", nullable = false)
    private long rolloutId;
    @Column(name = "image_id", nullable = false)
    private long imageId;
    @Column(name = "data_group", nullable = false)
    private String dataGroup;
    @Column(name = "data_port", nullable = false)
    private int dataPort;
    @Column(name = "symbol_size", nullable = false)
    private int symbolSize;
    @Column(name = "rate_bps", nullable = false)
    private long rateBps;
    @Column(name = "block_symbols", nullable = false)
    private int blockSymbols;
    @Column(name = "repair_ratio", nullable = false)
    private double repairRatio;
    @Column(name = "announce_sequence")
    private Long announceSequence;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private TransmissionState state;
    @Column(name = "created_at", nullable = false)
    private Instant createdAt;
    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    protected TransmissionEntity() {
    }

    TransmissionEntity(long rolloutId, long imageId, String dataGroup, int symbolSize, int blockSymbols,
                       double repairRatio, long rateBps, Instant now) {
        this.rolloutId = rolloutId;
        this.imageId = imageId;
        this.dataGroup = dataGroup;
        this.symbolSize = symbolSize;
        this.blockSymbols = blockSymbols;
        this.repairRatio = repairRatio;
        this.rateBps = rateBps;
        this.state = TransmissionState.PENDING;
        this.createdAt = now;
        this.updatedAt = now;
    }

    void assignPort(int port) {
        this.dataPort = port;
    }

    void announced(long sequence) {
        this.announceSequence = sequence;
    }

    int blockSymbols() {
        return blockSymbols;
    }

    double repairRatio() {
        return repairRatio;
    }

    Long announceSequence() {
        return announceSequence;
    }

    /** The distributor has it on the air. */
    void sending(Instant now) {
        if (state == TransmissionState.PENDING) {
            state = TransmissionState.SENDING;
            updatedAt = now;
        }
    }

    /** Ends the transmission (every target has the image, or the rollout was called off). */
    void end(TransmissionState end, Instant now) {
        if (state.live()) {
            state = end;
            updatedAt = now;
        }
    }

    Long id() {
        return id;
    }

    long rolloutId() {
        return rolloutId;
    }

    long imageId() {
        return imageId;
    }

    String dataGroup() {
        return dataGroup;
    }

    int dataPort() {
        return dataPort;
    }

    int symbolSize() {
        return symbolSize;
    }

    long rateBps() {
        return rateBps;
    }

    TransmissionState state() {
        return state;
    }
}
