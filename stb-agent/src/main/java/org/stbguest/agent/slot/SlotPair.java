package org.stbguest.agent.slot;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.stbguest.device.api.RoleStatus;
import org.stbguest.device.api.Slot;
import org.stbguest.device.api.SlotStatus;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.Manifest;

/**
 * The A/B slot pair of one guest role and the rules of boot control. It owns every transition and refuses illegal
 * ones: the running slot is never written; only a verified image can be made bootable; an image below the security
 * floor is never staged. Not thread-safe: the agent serialises access per role.
 */
public final class SlotPair {

    /** Priority of the slot chosen to boot next. */
    static final int PRIORITY_ACTIVE = 15;
    /** Priority of the slot kept as fallback. */
    static final int PRIORITY_FALLBACK = 14;

    private final String role;
    private final Map<Slot, SlotState> slots = new EnumMap<>(Slot.class);
    private Slot active;
    private long securityFloor;
    private long pendingFloor;
    private Digest staging;

    private SlotPair(String role) {
        this.role = role;
    }

    /** A pair with both slots empty. */
    public static SlotPair empty(String role) {
        SlotPair p = new SlotPair(role);
        p.slots.put(Slot.A, SlotState.empty(Slot.A));
        p.slots.put(Slot.B, SlotState.empty(Slot.B));
        return p;
    }

    /** Restores a pair from its persisted form. */
    public static SlotPair restore(BootControlState state) {
        SlotPair p = new SlotPair(state.role());
        for (SlotState s : state.slots()) {
            p.slots.put(s.slot(), s);
        }
        p.active = state.active();
        p.securityFloor = state.securityFloor();
        p.pendingFloor = state.pendingFloor();
        p.staging = state.staging();
        return p;
    }

    /** The persisted form. */
    public BootControlState snapshot() {
        return new BootControlState(role, active, securityFloor, List.of(slots.get(Slot.A), slots.get(Slot.B)),
                pendingFloor, staging);
    }

    public String role() {
        return role;
    }

    public SlotState slot(Slot s) {
        return slots.get(s);
    }

    /** The slot that is running (last booted successfully or on trial), if any. */
    public Optional<Slot> active() {
        return Optional.ofNullable(active);
    }

    /** Digest of the running image, if any. */
    public Optional<Digest> activeDigest() {
        return active().map(s -> slots.get(s).digest());
    }

    /** The floor in force: no image below it is staged or booted. */
    public long securityFloor() {
        return securityFloor;
    }

    /** The floor the newest finalize statement asked for; it comes into force once a committed slot at it runs. */
    public long pendingFloor() {
        return pendingFloor;
    }

    /** The image being written into the inactive slot, if a staging began and has not ended. */
    public Optional<Digest> staging() {
        return Optional.ofNullable(staging);
    }

    /** The slot that may be written: the one not running. */
    public Slot inactive() {
        return active == null ? Slot.A : active.other();
    }

    /** The slot holding a verified image with this digest, if any. */
    /** Whether either slot may be booted (holds an image, has a priority, and is committed or has tries left). */
    public boolean anyBootable() {
        return slots.values().stream().anyMatch(SlotState::bootable);
    }

    public Optional<Slot> slotHolding(Digest digest) {
        for (SlotState s : slots.values()) {
            if (digest.equals(s.digest())) {
                return Optional.of(s.slot());
            }
        }
        return Optional.empty();
    }

    /**
     * Starts writing an image into the inactive slot: the slot is first marked empty (unbootable), so a power cut
     * in the middle of writing can never boot a half-written slot.
     */
    public Slot beginStaging(Manifest manifest) {
        checkFloor(manifest);
        Slot target = inactive();
        slots.put(target, SlotState.empty(target));
        staging = manifest.rootDigest();
        return target;
    }

    /** Records a fully written and verified image in {@code target}; it stays unbootable until activated. */
    public void staged(Slot target, Manifest manifest) {
        if (target == active) {
            throw new IllegalSlotTransitionException("slot " + target + " of " + role + " is running; it cannot be staged");
        }
        checkFloor(manifest);
        slots.put(target, new SlotState(target, manifest.rootDigest(), manifest.version(), manifest.securityVersion(),
                0, 0, false));
        staging = null;
    }

    /**
     * Makes {@code target} boot next, on trial with {@code tries} attempts; the other slot, if it has booted
     * successfully, stays as the fallback. Used both to activate a new image and to roll back to the previous one.
     */
    public void setActiveForTrial(Slot target, int tries) {
        SlotState t = slots.get(target);
        if (!t.holdsImage()) {
            throw new IllegalSlotTransitionException("slot " + target + " of " + role + " holds no verified image");
        }
        if (t.failure() != null) {
            throw new IllegalSlotTransitionException("slot " + target + " of " + role + " failed its trial boot ("
                    + t.failure() + "); it is not tried again");
        }
        if (t.securityVersion() < securityFloor) {
            throw new IllegalSlotTransitionException("slot " + target + " of " + role + " holds security version "
                    + t.securityVersion() + ", below the floor " + securityFloor);
        }
        if (tries < 1) {
            throw new IllegalArgumentException("tries must be >= 1");
        }
        slots.put(target, new SlotState(target, t.digest(), t.version(), t.securityVersion(), PRIORITY_ACTIVE, tries, false));
        SlotState o = slots.get(target.other());
        if (o.holdsImage() && o.priority() > 0) {
            slots.put(o.slot(), new SlotState(o.slot(), o.digest(), o.version(), o.securityVersion(),
                    PRIORITY_FALLBACK, o.triesRemaining(), o.successful()));
        }
    }

    /**
     * Chooses the slot to boot, as a bootloader would: the bootable slot of highest priority that is not below the
     * security floor. Booting a slot that is not yet successful uses up one try. Empty when nothing is bootable.
     */
    public Optional<Slot> selectBootSlot() {
        SlotState best = null;
        for (SlotState s : slots.values()) {
            if (s.bootable() && s.securityVersion() >= securityFloor
                    && (best == null || s.priority() > best.priority())) {
                best = s;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        if (!best.successful()) {
            best = new SlotState(best.slot(), best.digest(), best.version(), best.securityVersion(), best.priority(),
                    best.triesRemaining() - 1, false);
            slots.put(best.slot(), best);
        }
        active = best.slot();
        return Optional.of(best.slot());
    }

    /** The guest in {@code slot} reported healthy: commit it. */
    public void markSuccessful(Slot slot) {
        SlotState s = slots.get(slot);
        if (slot != active || !s.holdsImage()) {
            throw new IllegalSlotTransitionException("slot " + slot + " of " + role + " is not the booted slot");
        }
        slots.put(slot, new SlotState(slot, s.digest(), s.version(), s.securityVersion(), s.priority(), 0, true));
        applyPendingFloor();
    }

    /** The guest in {@code slot} failed its trial boot and has no tries left: it will not be picked again. */
    public void markUnbootable(Slot slot) {
        markUnbootable(slot, "trial boot failed");
    }

    /**
     * The guest in {@code slot} failed its trial boot for {@code reason} and has no tries left: it will not be picked
     * again, nor activated again until another image is written into the slot.
     */
    public void markUnbootable(Slot slot, String reason) {
        SlotState s = slots.get(slot);
        if (s.holdsImage()) {
            slots.put(slot, new SlotState(slot, s.digest(), s.version(), s.securityVersion(), 0, 0, false,
                    reason == null ? "trial boot failed" : reason));
        }
    }

    /**
     * A signed finalize statement asks for {@code floor}. The floor in force rises to it only once this pair runs a
     * committed slot at or above it (as Android Verified Boot updates its rollback index only after the new slot has
     * booted successfully): until then the request waits, so a trial boot that fails can still fall back to the
     * previous slot, and the box never runs below its floor nor is left without a bootable slot. The newest request
     * replaces an older one (a stolen director key's absurd floor is undone by the next genuine finalize); the floor
     * in force never goes down.
     *
     * @return whether the floor in force rose
     */
    public boolean requestFloor(long floor) {
        pendingFloor = floor;
        return applyPendingFloor();
    }

    private boolean applyPendingFloor() {
        if (active == null || pendingFloor <= securityFloor) {
            return false;
        }
        SlotState running = slots.get(active);
        if (running.successful() && running.securityVersion() >= pendingFloor) {
            securityFloor = pendingFloor;
            return true;
        }
        return false;
    }

    /** Installs a factory image straight into slot A as the committed, running image (manufacturing only). */
    public void provisionFactoryImage(Manifest manifest) {
        if (active != null) {
            throw new IllegalSlotTransitionException("role " + role + " already runs an image");
        }
        slots.put(Slot.A, new SlotState(Slot.A, manifest.rootDigest(), manifest.version(), manifest.securityVersion(),
                PRIORITY_ACTIVE, 0, true));
        active = Slot.A;
    }

    /** What the box reports for this role at check-in. */
    public RoleStatus status() {
        return new RoleStatus(role, active, activeDigest().orElse(null), List.of(toStatus(slots.get(Slot.A)),
                toStatus(slots.get(Slot.B))));
    }

    private static SlotStatus toStatus(SlotState s) {
        return new SlotStatus(s.slot(), s.digest(), s.version(), s.securityVersion(), s.successful());
    }

    private void checkFloor(Manifest manifest) {
        if (!manifest.role().equals(role)) {
            throw new ImageVerificationException(ImageVerificationException.Reason.WRONG_ROLE,
                    "image is for role " + manifest.role() + ", this pair is " + role);
        }
        if (manifest.securityVersion() < securityFloor) {
            throw new ImageVerificationException(ImageVerificationException.Reason.BELOW_SECURITY_FLOOR,
                    "image security version " + manifest.securityVersion() + " is below the floor " + securityFloor
                            + " of role " + role);
        }
    }
}
