package org.stbguest.multicast;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import java.net.InetAddress;
import java.util.function.Consumer;
import org.stbguest.multicast.wire.AnnounceFrame;
import org.stbguest.multicast.wire.Frame;
import org.stbguest.multicast.wire.FrameDecoder;

/**
 * Listens on the control group and passes the signed announcements it parses on, unverified: the callback verifies
 * them (a box with its {@code BoxTrust}). The callback runs on the event loop, so it must only hand work off, never
 * block.
 */
public final class AnnouncementListener implements AutoCloseable {

    private final DatagramChannel channel;

    private AnnouncementListener(DatagramChannel channel) {
        this.channel = channel;
    }

    /** Joins {@code controlGroup:port} on the settings' interface. */
    public static AnnouncementListener start(EventLoopGroup eventLoops, MulticastSettings settings, InetAddress controlGroup,
                                             int port, Consumer<AnnounceFrame> onAnnounce) throws InterruptedException {
        var handler = new SimpleChannelInboundHandler<Frame>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
                if (frame.kind() == Frame.Kind.ANNOUNCE) {
                    onAnnounce.accept((AnnounceFrame) frame);
                }
            }
        };
        return new AnnouncementListener(
                MulticastChannels.openReceiver(eventLoops, settings, controlGroup, port, new FrameDecoder(), handler));
    }

    @Override
    public void close() {
        MulticastChannels.closeQuietly(channel);
    }
}
