package org.stbguest.multicast;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.stbguest.multicast.wire.FrameDecoder;
import org.stbguest.multicast.wire.FrameEncoder;

/**
 * Builds the Netty datagram channels: a sender bound to the interface's address with the multicast interface and
 * TTL set, and receivers bound to a group and port and joined on the named interface. Pipelines are
 * decoder/encoder plus one thin handler.
 *
 * <p>On Linux the native transport (epoll) is used when its library loads: a data receiver then takes up to
 * {@value #DATAGRAMS_PER_READ} datagrams per {@code recvmmsg} call and a sender's flushed batch goes out in one
 * {@code sendmmsg}. Elsewhere, or with {@code -Dstbguest.multicast.transport=nio}, the JDK's NIO transport is used;
 * the channel type always follows the event loop group's.
 */
public final class MulticastChannels {

    private static final FrameEncoder ENCODER = new FrameEncoder();
    /** Datagrams a data receiver reads per system call on the native transport. */
    static final int DATAGRAMS_PER_READ = 32;
    /**
     * Socket receive buffer a data receiver asks for: what absorbs a pause of the receiving thread (a garbage
     * collection, a block decode) without loss. The kernel grants at most {@code net.core.rmem_max} (the box image
     * sets it; Linux's default is 208 KiB); 32 MiB holds about 2.5 s of a 100 Mbit/s transmission.
     */
    static final int RECEIVE_BUFFER = Integer.getInteger("stbguest.multicast.receiveBuffer", 32 * 1024 * 1024);
    private static final boolean NATIVE = !"nio".equalsIgnoreCase(System.getProperty("stbguest.multicast.transport"))
            && Epoll.isAvailable();
    /** UDP segmentation offload for senders where the kernel has it; {@code -Dstbguest.multicast.gso=false} turns it off. */
    private static final boolean GSO = Boolean.parseBoolean(System.getProperty("stbguest.multicast.gso", "true"));

    private MulticastChannels() {
    }

    /** An event loop group for datagram channels (native where available); one is enough for many receivers. */
    public static EventLoopGroup newEventLoopGroup(int threads) {
        return newEventLoopGroup(threads, NATIVE);
    }

    /** A group of the native transport (which must be available) or of NIO: tests run both. */
    static EventLoopGroup newEventLoopGroup(int threads, boolean nativeTransport) {
        return new MultiThreadIoEventLoopGroup(threads,
                nativeTransport ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /** The transport new groups use: "epoll" or "nio". */
    public static String transport() {
        return NATIVE ? "epoll" : "nio";
    }

    /**
     * Whether a sender on {@code channel} hands runs of equal datagrams to the kernel as one segmented send
     * ({@code UDP_SEGMENT}, Linux 4.18+): the native transport, kernel support, and not turned off.
     */
    static boolean segmentationOffload(DatagramChannel channel) {
        return GSO && channel instanceof EpollDatagramChannel
                && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
    }

    private static boolean isNative(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup g && g.isIoType(EpollIoHandler.class);
    }

    private static DatagramChannel newChannel(EventLoopGroup group) {
        return isNative(group) ? new EpollDatagramChannel(SocketProtocolFamily.INET)
                : new NioDatagramChannel(SocketProtocolFamily.INET);
    }

    /**
     * Opens a sender channel on the settings' interface, TTL 1, loopback delivery on. Give it an event loop group of
     * its own: a paced sender keeps its loop busy with writes, and receivers sharing that loop would starve.
     */
    public static DatagramChannel openSender(EventLoopGroup group, MulticastSettings settings) throws InterruptedException {
        return openSender(group, settings, null);
    }

    /**
     * A sender that also listens, on its own unicast address, for receivers' feedback: {@code inbound} (a
     * {@link FeedbackAggregator}) gets the decoded frames.
     */
    public static DatagramChannel openSender(EventLoopGroup group, MulticastSettings settings, ChannelHandler inbound)
            throws InterruptedException {
        return openSender(group, settings, inbound, 0);
    }

    /** As above, bound to a fixed local port (0: any), so receivers can be told where to send feedback. */
    public static DatagramChannel openSender(EventLoopGroup group, MulticastSettings settings, ChannelHandler inbound,
                                             int port) throws InterruptedException {
        Bootstrap b = new Bootstrap()
                .group(group)
                .channelFactory(() -> newChannel(group))
                .option(ChannelOption.IP_MULTICAST_IF, settings.networkInterface())
                .option(ChannelOption.IP_MULTICAST_TTL, settings.ttl())
                .option(ChannelOption.IP_MULTICAST_LOOP_DISABLED, false)
                .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
                // the boxes' reports come in on this socket: every box that is behind reports every interval, and a
                // sender busy with the pass (or off a busy CPU) reads them late; Linux's default buffer holds about a
                // hundred datagrams, and a lost report of deficits costs a block its repair during the pass
                .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                // the sender hands over runs of up to 64 KiB and bounds the runs in flight itself: with Netty's
                // default marks (32/64 KiB) one queued run would make the channel "unwritable" and stall the sender
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(2 * 1024 * 1024, 4 * 1024 * 1024))
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast("frameEncoder", ENCODER);
                        if (inbound != null) {
                            ch.pipeline().addLast("frameDecoder", new FrameDecoder()).addLast("feedback", inbound);
                        }
                    }
                });
        return (DatagramChannel) b.bind(new InetSocketAddress(settings.ipv4Address(), port)).sync().channel();
    }

    /** A unicast channel on the settings' interface, for sending feedback. */
    public static DatagramChannel openUnicast(EventLoopGroup group, MulticastSettings settings) throws InterruptedException {
        Bootstrap b = new Bootstrap()
                .group(group)
                .channelFactory(() -> newChannel(group))
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast("frameEncoder", ENCODER);
                    }
                });
        return (DatagramChannel) b.bind(new InetSocketAddress(settings.ipv4Address(), 0)).sync().channel();
    }

    /**
     * Opens a receiver bound to {@code group:port} (binding to the group keeps other groups' traffic out) and joins
     * the group on the settings' interface. Several receivers in one process may share a group and port.
     */
    public static DatagramChannel openReceiver(EventLoopGroup eventLoops, MulticastSettings settings, InetAddress group,
                                               int port, FrameDecoder decoder, ChannelHandler handler)
            throws InterruptedException {
        return openReceiver(eventLoops, settings, group, port, decoder, handler, null);
    }

    /** As above, with an optional inbound handler placed before the decoder (a loss injector in tests). */
    public static DatagramChannel openReceiver(EventLoopGroup eventLoops, MulticastSettings settings, InetAddress group,
                                               int port, FrameDecoder decoder, ChannelHandler handler,
                                               ChannelHandler filter) throws InterruptedException {
        return openReceiver(eventLoops, settings, group, port, decoder, handler, filter, 0);
    }

    /**
     * As above; {@code maxDatagram > 0} (a data group's largest frame) lets the native transport read a batch of
     * datagrams per call, each cut at that size (a longer one cannot be a valid frame of the transmission).
     */
    public static DatagramChannel openReceiver(EventLoopGroup eventLoops, MulticastSettings settings, InetAddress group,
                                               int port, FrameDecoder decoder, ChannelHandler handler,
                                               ChannelHandler filter, int maxDatagram) throws InterruptedException {
        if (!group.isMulticastAddress()) {
            throw new IllegalArgumentException(group + " is not a multicast address");
        }
        Bootstrap b = new Bootstrap()
                .group(eventLoops)
                .channelFactory(() -> newChannel(eventLoops))
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER)
                .option(ChannelOption.IP_MULTICAST_IF, settings.networkInterface())
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        if (filter != null) {
                            ch.pipeline().addLast("filter", filter);
                        }
                        if (decoder != null) { // null: the handler takes datagrams itself
                            ch.pipeline().addLast("frameDecoder", decoder);
                        }
                        ch.pipeline().addLast("handler", handler);
                    }
                });
        if (maxDatagram > 0 && isNative(eventLoops)) {
            b.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, maxDatagram)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagram * DATAGRAMS_PER_READ));
        }
        DatagramChannel ch = (DatagramChannel) b.bind(new InetSocketAddress(group, port)).sync().channel();
        try {
            ch.joinGroup(new InetSocketAddress(group, port), settings.networkInterface()).sync();
        } catch (RuntimeException | InterruptedException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    static void closeQuietly(Channel ch) {
        if (ch != null) {
            ch.close().awaitUninterruptibly();
        }
    }
}
