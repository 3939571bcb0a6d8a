package org.stbguest.agent;

import io.netty.channel.EventLoopGroup;
import java.net.http.HttpClient;
import java.time.InstantSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Threads and clients that agents share: one box runs one agent, but the simulator runs thousands in one JVM on
 * the same event loops, scheduler and worker pool. The owner of the runtime shuts it down.
 */
public record AgentRuntime(EventLoopGroup eventLoops, ScheduledExecutorService scheduler, ExecutorService workers,
                           HttpClient http, InstantSource clock) {
}
