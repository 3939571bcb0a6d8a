package org.stbguest.multicast;

import java.io.IOException;

/** Where a receiver puts chunks once they are verified against the signed manifest: the agent's slot writer. */
@FunctionalInterface
public interface ChunkSink {

    /** Called once per chunk, from a worker thread, with a verified chunk; {@code data} is owned by the sink. */
    void accept(int chunkIndex, byte[] data) throws IOException;
}
