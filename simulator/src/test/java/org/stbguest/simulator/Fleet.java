package org.stbguest.simulator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.stbguest.device.api.Enrollment;

/**
 * What the server tests set up before their rollout: two released versions of one guest role (random bytes of the
 * given size, from a seed) and a number of enrolled boxes of the demo's hardware model.
 */
record Fleet(OperatorApi.Image v1, OperatorApi.Image v2, List<Enrollment> boxes) {

    static Fleet create(OperatorApi ops, String role, long seed, int imageSize, String serialPrefix, int boxes)
            throws IOException, InterruptedException {
        return create(ops, ops, role, seed, imageSize, serialPrefix, boxes);
    }

    /** Images through {@code images}, boxes enrolled through {@code enrol} (another instance, perhaps). */
    static Fleet create(OperatorApi images, OperatorApi enrol, String role, long seed, int imageSize,
                        String serialPrefix, int boxes) throws IOException, InterruptedException {
        Random random = new Random(seed);
        byte[] bytes = new byte[imageSize];
        random.nextBytes(bytes);
        var v1 = images.upload(bytes, role, 1, 1, List.of(DemoScenario.MODEL));
        images.release(v1.id());
        random.nextBytes(bytes);
        var v2 = images.upload(bytes, role, 2, 1, List.of(DemoScenario.MODEL));
        images.release(v2.id());
        List<Enrollment> enrolled = new ArrayList<>();
        for (int i = 0; i < boxes; i++) {
            enrolled.add(enrol.enroll(serialPrefix + i, DemoScenario.MODEL));
        }
        return new Fleet(v1, v2, List.copyOf(enrolled));
    }
}
