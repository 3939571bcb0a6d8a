package org.stbguest.operator.transmission;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.device.api.TransmissionInfo;
import org.stbguest.multicast.TransmissionJob;
import org.stbguest.operator.StbProperties;
import org.stbguest.operator.image.ImageService;
import org.stbguest.operator.image.ImageView;
import org.stbguest.operator.trust.DirectorService;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.image.trust.Statement;
import org.stbguest.operator.web.ApiException;

/**
 * Schedules images on the air for rollouts and serves the headend distributor, which pulls its jobs from here.
 * Each transmission gets its own data port on the configured data group.
 */
@Service
public class TransmissionService {

    private final TransmissionRepository transmissions;
    private final ImageService images;
    private final DirectorService director;
    private final StbProperties props;
    private final Clock clock;

    TransmissionService(TransmissionRepository transmissions, ImageService images, DirectorService director,
                        StbProperties props, Clock clock) {
        this.transmissions = transmissions;
        this.images = images;
        this.director = director;
        this.props = props;
        this.clock = clock;
    }

    /** Puts an image on the air for a rollout. */
    @Transactional
    public TransmissionInfo schedule(long rolloutId, ImageView image) {
        var m = props.multicast();
        TransmissionEntity t = transmissions.save(new TransmissionEntity(rolloutId, image.id(), m.dataGroup(),
                m.symbolSize(), m.blockSymbols(), m.repairRatio(), m.rateBitsPerSecond(), clock.instant()));
        t.assignPort(m.dataPortBase() + (int) (t.id() % 1000));
        var announce = director.issue(new Statement.Announce(t.id(), image.rootDigest(), t.dataGroup(), t.dataPort(),
                image.size(), t.symbolSize()));
        t.announced(announce.unverified().sequence());
        return info(t);
    }

    /**
     * Puts a rollout's image on the air when it starts, and takes it off once every target has staged it (the first
     * wave begins) or the rollout ends otherwise; in the transaction that decided it.
     */
    @org.springframework.transaction.event.TransactionalEventListener(
            phase = org.springframework.transaction.event.TransactionPhase.BEFORE_COMMIT, fallbackExecution = true)
    public void on(org.stbguest.operator.events.RolloutEvent event) {
        if (event instanceof org.stbguest.operator.events.RolloutEvent.RolloutStarted s) {
            schedule(s.rolloutId(), images.get(s.imageId()));
        } else if (event instanceof org.stbguest.operator.events.RolloutEvent.WaveStarted w && w.wave() == 0) {
            end(w.rolloutId(), true);
        } else if (event instanceof org.stbguest.operator.events.RolloutEvent.RollbackOrdered
                || event instanceof org.stbguest.operator.events.RolloutEvent.RolloutAborted) {
            end(event.rolloutId(), false);
        }
    }

    /** Where the rollout's image is on the air, while it is. */
    @Transactional(readOnly = true)
    public Optional<TransmissionInfo> liveFor(long rolloutId) {
        return transmissions.findFirstByRolloutIdOrderByIdDesc(rolloutId)
                .filter(t -> t.state().live()).map(TransmissionService::info);
    }

    /** Takes the rollout's image off the air. */
    @Transactional
    public void end(long rolloutId, boolean complete) {
        transmissions.findFirstByRolloutIdOrderByIdDesc(rolloutId)
                .ifPresent(t -> t.end(complete ? TransmissionState.COMPLETE : TransmissionState.CANCELLED, clock.instant()));
    }

    /** Jobs the distributor should be sending. */
    @Transactional(readOnly = true)
    public List<TransmissionJob> liveJobs() {
        return transmissions.findByStateInOrderById(EnumSet.of(TransmissionState.PENDING, TransmissionState.SENDING))
                .stream().map(this::job).toList();
    }

    @Transactional(readOnly = true)
    public TransmissionJob job(long id) {
        return job(entity(id));
    }

    @Transactional
    public TransmissionJob markSending(long id) {
        TransmissionEntity t = entity(id);
        t.sending(clock.instant());
        return job(t);
    }

    /** Streams the transmission's image. */
    public void copyImage(long id, OutputStream out) throws IOException {
        images.copyImage(entity(id).imageId(), out);
    }

    private TransmissionEntity entity(long id) {
        return transmissions.findById(id)
                .orElseThrow(() -> new ApiException.NotFound("transmission-not-found", "no transmission " + id));
    }

    private TransmissionJob job(TransmissionEntity t) {
        ImageView image = images.get(t.imageId());
        SignedStatement announcement = t.announceSequence() == null ? null : director.get(t.announceSequence());
        return new TransmissionJob(t.id(), t.imageId(), image.rootDigest().hex(), image.size(), t.dataGroup(),
                t.dataPort(), t.symbolSize(), t.blockSymbols(), t.repairRatio(), t.rateBps(), announcement,
                t.state().name());
    }

    private static TransmissionInfo info(TransmissionEntity t) {
        return new TransmissionInfo(t.id(), t.dataGroup(), t.dataPort(), t.symbolSize(), t.blockSymbols());
    }
}
