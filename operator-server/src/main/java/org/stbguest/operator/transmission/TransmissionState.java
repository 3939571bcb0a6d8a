package org.stbguest.operator.transmission;

/** Lifecycle of a transmission: waiting for the distributor, on the air, done, or called off. */
public enum TransmissionState {
    PENDING, SENDING, COMPLETE, CANCELLED;

    boolean live() {
        return this == PENDING || this == SENDING;
    }
}
