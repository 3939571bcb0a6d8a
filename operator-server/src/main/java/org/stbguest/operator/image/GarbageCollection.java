package org.stbguest.operator.image;

import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.stbguest.operator.db.Leadership;

/**
 * Deletes, every {@code stb.gc.interval} (default 6 h), the chunks no image references that are older than
 * {@code stb.gc.grace} (default 1 h, so an upload in progress keeps its chunks), on the one instance that leads. The
 * same as {@code POST /api/images/gc}, audited as {@code system/gc}.
 */
@Component
class GarbageCollection {

    private static final Logger log = LoggerFactory.getLogger(GarbageCollection.class);

    private final ImageService images;
    private final Leadership leadership;
    private final Duration grace;

    GarbageCollection(ImageService images, Leadership leadership, @Value("${stb.gc.grace:1h}") Duration grace) {
        this.images = images;
        this.leadership = leadership;
        this.grace = grace;
    }

    @Scheduled(fixedDelayString = "${stb.gc.interval:6h}", initialDelayString = "${stb.gc.interval:6h}")
    void collect() {
        if (!leadership.isLeader()) {
            return; // another instance collects
        }
        try {
            int deleted = images.collectGarbage(grace, "system/gc");
            log.info("event=gc_done deleted_chunks={}", deleted);
        } catch (IOException | RuntimeException e) {
            log.warn("event=gc_failed error={}", e.toString());
        }
    }
}
