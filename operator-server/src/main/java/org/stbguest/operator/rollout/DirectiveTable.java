package org.stbguest.operator.rollout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import org.stbguest.device.api.ImageOffer;
import org.stbguest.device.api.RoleDirective;
import org.stbguest.device.api.TransmissionInfo;
import org.stbguest.image.Digest;
import org.stbguest.image.trust.Statement;
import org.stbguest.operator.device.Target;
import org.stbguest.operator.image.ImageState;
import org.stbguest.operator.image.ImageView;
import org.stbguest.operator.security.DevicePrincipal;

/**
 * The rollouts as check-ins read them: per role, newest first, each rollout's state, image, previous image, filter
 * and live transmission, read once and kept (by the check-in cache) until any of them changes. A rollout that newer
 * unfiltered rollouts of its role already cover for every one of its models is left out: no box can reach it. What
 * a box is told is decided here from the box's own attributes alone, with no query.
 */
public final class DirectiveTable {

    /** One rollout, as much of it as a check-in needs. */
    record Entry(String role, RolloutState state, ImageView image, ImageView previous, Target filter,
                 TransmissionInfo transmission) {
    }

    private final Map<String, List<Entry>> byRole;
    private final List<String> streams;

    private DirectiveTable(Map<String, List<Entry>> byRole) {
        this.byRole = byRole;
        List<String> s = new ArrayList<>();
        for (String role : byRole.keySet()) {
            s.add(activateStream(role));
            s.add(finalizeStream(role));
        }
        this.streams = List.copyOf(s);
    }

    /** Builds the table from rollouts given newest first (drafts excluded). */
    static DirectiveTable of(List<Entry> newestFirst) {
        Map<String, List<Entry>> byRole = new LinkedHashMap<>();
        Coverage coverage = new Coverage();
        for (Entry e : newestFirst) {
            if (coverage.admit(e.role(), e.image().hardwareModels(), e.filter() != null)) {
                byRole.computeIfAbsent(e.role(), r -> new ArrayList<>()).add(e);
            }
        }
        byRole.replaceAll((r, l) -> List.copyOf(l));
        return new DirectiveTable(byRole);
    }

    /**
     * Which hardware models of each role newer rollouts without a target filter already cover: an older rollout they
     * cover reaches no box. Fed rollouts newest first.
     */
    static final class Coverage {
        private final Map<String, Set<String>> covered = new HashMap<>();

        /** False when the rollout is shadowed for every box it could target; otherwise true, and it is counted. */
        boolean admit(String role, java.util.Collection<String> models, boolean filtered) {
            Set<String> mine = covered.computeIfAbsent(role, r -> new HashSet<>());
            if (mine.containsAll(models)) {
                return false;
            }
            if (!filtered) {
                mine.addAll(models);
            }
            return true;
        }
    }

    /** The statement streams of every role with a rollout: the statements a check-in may carry. */
    public List<String> streams() {
        return streams;
    }

    /** Rollouts kept (tests). */
    int entries() {
        return byRole.values().stream().mapToInt(List::size).sum();
    }

    /**
     * What {@code device} should stage per role, and the statement streams that concern it. The newest rollout of a
     * role that targets the box decides, whatever its state. An image the box already holds in a slot
     * ({@code holds}) is not offered again: its manifest would be sent for nothing.
     */
    public RolloutService.DeviceDirectives directivesFor(DevicePrincipal device, BiPredicate<String, Digest> holds) {
        List<RoleDirective> out = new ArrayList<>();
        List<String> deviceStreams = new ArrayList<>();
        for (var en : byRole.entrySet()) {
            for (Entry e : en.getValue()) {
                if (!e.image().hardwareModels().contains(device.hardwareModel())
                        || e.filter() != null && !e.filter().matches(device.hardwareModel(), device.region(),
                        device.tags(), device.serial())) {
                    continue;
                }
                deviceStreams.add(activateStream(e.role()));
                deviceStreams.add(finalizeStream(e.role()));
                ImageView offered = switch (e.state()) {
                    case STAGING, ACTIVATING, COMPLETED, FINALIZED ->
                            e.image().state() == ImageState.REVOKED ? null : e.image();
                    case ROLLED_BACK -> e.previous() != null
                            && e.previous().hardwareModels().contains(device.hardwareModel()) ? e.previous() : null;
                    case DRAFT, ABORTED -> null;
                };
                if (offered != null && !holds.test(e.role(), offered.rootDigest())) {
                    // a box that holds the previous image switches to it; one that does not fetches it by unicast
                    TransmissionInfo on = offered == e.image() ? e.transmission() : null;
                    out.add(new RoleDirective(e.role(), new ImageOffer(offered.signedManifest(), on)));
                }
                break;
            }
        }
        return new RolloutService.DeviceDirectives(out, deviceStreams);
    }

    private static String activateStream(String role) {
        return new Statement.Activate(role, Digest.sha256(new byte[0])).sequenceKey();
    }

    private static String finalizeStream(String role) {
        return new Statement.Finalize(role, 0).sequenceKey();
    }
}
