package org.stbguest.agent.slot;

/** A slot-pair transition that the boot-control rules forbid (writing over the running slot, booting an empty one). */
public class IllegalSlotTransitionException extends IllegalStateException {

    public IllegalSlotTransitionException(String message) {
        super(message);
    }
}
