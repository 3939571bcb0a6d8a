package org.stbguest.device.api;

/** One of the two slots of a guest role's A/B pair. */
public enum Slot {
    A, B;

    /** The other slot of the pair. */
    public Slot other() {
        return this == A ? B : A;
    }
}
