package org.stbguest.agent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.agent.disk.Disk;
import org.stbguest.device.api.DesiredState;
import org.stbguest.image.Digest;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.trust.BoxTrust;
import org.stbguest.image.trust.KeySet;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.Statement;

/**
 * Everything signed the box has accepted: its key set (following rotations from the anchor pinned at manufacturing),
 * the director's statements in sequence order (forged, expired and replayed ones refused), and from them the image
 * each role is to run. Saved durably whenever it changes, so replay protection and the wanted images survive a
 * restart.
 */
final class SignedMetadata {

    private static final Logger log = LoggerFactory.getLogger(SignedMetadata.class);

    /** What the accepted statements ask the rest of the agent to do. */
    interface Actions {
        /** A finalize statement for one of this box's roles. */
        void finalizeRole(String role, long floor) throws IOException;

        /** An announcement: something is on the air; check in now. */
        void checkInSoon();

        /** Signed metadata was refused; {@code what} names it. */
        void refused(String what, ImageVerificationException e);
    }

    private final AgentConfig config;
    private final BoxTrust trust;
    private final AgentStateStore store;
    private final Set<String> roles;
    private final Actions actions;
    private final Map<String, Digest> desiredImages = new ConcurrentHashMap<>();

    SignedMetadata(AgentConfig config, AgentRuntime runtime, Disk disk, Actions actions) throws IOException {
        this.config = config;
        this.roles = Set.copyOf(config.roles());
        this.actions = actions;
        this.store = new AgentStateStore(disk, config.stateDir());
        var saved = store.load();
        this.trust = saved.map(s -> BoxTrust.restore(s.trust(), runtime.clock()))
                .orElseGet(() -> BoxTrust.pinned(config.trustAnchor(), runtime.clock()));
        saved.ifPresent(s -> desiredImages.putAll(s.desiredImages()));
    }

    BoxTrust trust() {
        return trust;
    }

    KeySet keySet() {
        return trust.keySet();
    }

    /** The image a verified statement last told {@code role} to run, if any. */
    Digest desiredImage(String role) {
        return desiredImages.get(role);
    }

    /** Follows key-set rotations, then accepts director statements in sequence order; refusals are reported. */
    synchronized void applyCheckIn(DesiredState desired) throws IOException {
        boolean changed = false;
        if (!desired.keySets().isEmpty()) {
            long before = trust.keySet().version();
            try {
                trust.update(desired.keySets());
            } catch (ImageVerificationException e) {
                actions.refused("key set", e);
            }
            changed = trust.keySet().version() != before;
        }
        var statements = new ArrayList<>(desired.statements());
        statements.sort(Comparator.comparingLong(SignedMetadata::sequenceOf));
        for (SignedStatement signed : statements) {
            try {
                var accepted = trust.accept(signed);
                changed |= accepted.isPresent();
                if (accepted.isPresent()) {
                    apply(accepted.get());
                }
            } catch (ImageVerificationException e) {
                actions.refused("statement", e);
            }
        }
        if (changed) {
            save();
        }
    }

    /**
     * A statement heard on the control group, checked like any other (forged, expired and replayed ones throw).
     *
     * @return the activation it carries for a role of this box, when it names this box
     */
    synchronized Optional<Statement.Activate> applyAnnouncement(SignedStatement statement) throws IOException {
        var accepted = trust.accept(statement);
        if (accepted.isEmpty()) {
            return Optional.empty();
        }
        apply(accepted.get());
        save();
        if (accepted.get() instanceof Statement.Activate a && roles.contains(a.role()) && a.includes(config.deviceId())) {
            return Optional.of(a);
        }
        return Optional.empty();
    }

    private void apply(Statement statement) throws IOException {
        switch (statement.kind()) {
            case ACTIVATE -> {
                var a = (Statement.Activate) statement;
                if (roles.contains(a.role()) && !a.includes(config.deviceId())) {
                    log.debug("event=activate_not_for_this_box device={} role={} image={}", config.deviceId(),
                            a.role(), a.image().shortHex());
                } else if (roles.contains(a.role())) {
                    desiredImages.put(a.role(), a.image());
                    log.info("event=activate_accepted device={} role={} image={}", config.deviceId(), a.role(),
                            a.image().shortHex());
                }
            }
            case FINALIZE -> {
                var f = (Statement.Finalize) statement;
                if (roles.contains(f.role())) {
                    actions.finalizeRole(f.role(), f.securityFloor());
                }
            }
            case ANNOUNCE -> actions.checkInSoon();
        }
    }

    private void save() throws IOException {
        store.save(new AgentStateStore.AgentState(trust.state(), desiredImages));
    }

    private static long sequenceOf(SignedStatement s) {
        try {
            return s.unverified().sequence();
        } catch (ImageVerificationException e) {
            return Long.MAX_VALUE;
        }
    }
}
