package org.stbguest.simulator;

import java.util.List;
import java.util.Random;
import org.stbguest.agent.StbAgent;
import org.stbguest.image.Digest;

/** Helpers the fleet tests share: test images and counting the boxes that run an image. */
final class TestFleet {

    private TestFleet() {
    }

    /** A random image of {@code size} bytes, the same for the same version. */
    static byte[] image(int version, int size) {
        byte[] b = new byte[size];
        new Random(version * 31L + size).nextBytes(b);
        return b;
    }

    /** How many of the agents run {@code image} committed. */
    static long running(List<StbAgent> agents, Digest image) {
        return agents.stream().filter(a -> DemoScenario.runsCommitted(a.slotPair(DemoScenario.ROLE), image)).count();
    }
}
