package org.stbguest.multicast;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drops each incoming data datagram (over 200 bytes) with a fixed probability, independently per receiver: an
 * inbound filter for the lab tool's loopback warm-up ({@code bench/src/LabTransfer.java}) and for tests. Not for
 * production pipelines.
 */
public final class LossInjector extends ChannelInboundHandlerAdapter {

    private final Random random;
    private final double loss;
    final AtomicLong dropped = new AtomicLong();
    final AtomicLong passed = new AtomicLong();

    public LossInjector(double loss, long seed) {
        this.loss = loss;
        this.random = new Random(seed);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket p && p.content().readableBytes() > 200 && random.nextDouble() < loss) {
            dropped.incrementAndGet();
            p.release();
            return;
        }
        passed.incrementAndGet();
        ctx.fireChannelRead(msg);
    }
}
