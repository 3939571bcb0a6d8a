package org.stbguest.distributor;

import org.stbguest.multicast.TransmissionJob;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stbguest.image.Digest;
import org.stbguest.multicast.ImageSource;
import org.stbguest.multicast.MulticastChannels;
import org.stbguest.multicast.TransmissionPlan;
import org.stbguest.multicast.TransmissionSender;

/**
 * The headend service: polls the operator server for live transmissions, downloads each image once, and keeps it on
 * the air in a carousel until the server ends the transmission (every target has it, or the rollout was called
 * off) or the carousel's own bounds are reached. Each transmission runs on its own thread and sender channel.
 */
public final class DistributorService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DistributorService.class);

    private final DistributorConfig config;
    private final OperatorClient client;
    private final EventLoopGroup senderLoops = MulticastChannels.newEventLoopGroup(1);
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "distributor-poll"));
    private final ExecutorService senders = Executors.newCachedThreadPool(r -> daemon(r, "distributor-send"));
    private final Set<Long> live = ConcurrentHashMap.newKeySet();
    private final Map<Long, Boolean> running = new ConcurrentHashMap<>();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong transmissionsDone = new AtomicLong();
    private final AtomicLong statementsSent = new AtomicLong();
    private volatile DatagramChannel controlChannel;
    private long lastBroadcastNanos;

    public DistributorService(DistributorConfig config, HttpClient http) {
        this.config = config;
        this.client = new OperatorClient(http, config.server(), config.user(), config.password());
    }

    /** Starts polling. */
    public void start() throws IOException {
        Files.createDirectories(config.workDir());
        config.multicast().networkInterface(); // fail fast on a missing interface
        poller.scheduleWithFixedDelay(this::poll, 0, config.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
        log.info("event=distributor_started {}", config);
    }

    /** Bytes put on the wire so far, headers included. */
    public long bytesSent() {
        return bytesSent.get();
    }

    /** Statements (activations) sent on the control group so far, repeats included. */
    public long statementsSent() {
        return statementsSent.get();
    }

    /** Transmissions that have ended. */
    public long transmissionsDone() {
        return transmissionsDone.get();
    }

    @Override
    public void close() {
        poller.shutdownNow();
        live.clear();
        if (controlChannel != null) {
            controlChannel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        senders.shutdownNow();
        try {
            senders.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        senderLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void poll() {
        List<TransmissionJob> jobs;
        try {
            jobs = client.liveJobs();
        } catch (IOException e) {
            log.warn("event=distributor_poll_failed error={}", e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        broadcast();
        Set<Long> ids = jobs.stream().map(TransmissionJob::id).collect(Collectors.toSet());
        live.retainAll(ids);
        live.addAll(ids);
        for (TransmissionJob job : jobs) {
            if (running.putIfAbsent(job.id(), Boolean.TRUE) == null) {
                senders.execute(() -> run(job));
            }
        }
    }

    /**
     * The statement carousel: once a second, the signed activations the server lists (a wave's, a rollback's) go on
     * the control group, so boxes act on them without a round trip; boxes drop the repeats as already seen.
     */
    private void broadcast() {
        if (System.nanoTime() - lastBroadcastNanos < TimeUnit.SECONDS.toNanos(1)) {
            return;
        }
        lastBroadcastNanos = System.nanoTime();
        try {
            var statements = client.broadcasts();
            if (statements.isEmpty()) {
                return;
            }
            if (controlChannel == null) {
                controlChannel = MulticastChannels.openSender(senderLoops, config.multicast());
            }
            var to = new java.net.InetSocketAddress(config.controlAddress(), config.controlPort());
            for (var statement : statements) {
                var frame = org.stbguest.multicast.wire.AnnounceFrame.of(statement);
                var buf = controlChannel.alloc().buffer(org.stbguest.multicast.wire.FrameEncoder.encodedSize(frame));
                org.stbguest.multicast.wire.FrameEncoder.encode(frame, buf);
                controlChannel.writeAndFlush(new io.netty.channel.socket.DatagramPacket(buf, to));
                statementsSent.incrementAndGet();
            }
            log.debug("event=statements_broadcast count={}", statements.size());
        } catch (IOException | RuntimeException e) {
            log.warn("event=broadcast_failed error={}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run(TransmissionJob job) {
        Path file = config.workDir().resolve("tx-" + job.id() + ".img");
        try {
            client.downloadImage(job.id(), file);
            if (Files.size(file) != job.size()) {
                throw new IOException("downloaded image has " + Files.size(file) + " bytes, job says " + job.size());
            }
            client.markSending(job.id());
            var plan = new TransmissionPlan(job.id(), Digest.parse(job.rootDigest()),
                    (Inet4Address) InetAddress.getByName(job.dataGroup()), job.dataPort(), config.controlAddress(),
                    config.controlPort(), job.symbolSize(), job.blockSymbols(), job.repairRatio(),
                    job.rateBitsPerSecond(), config.maxCycles(), config.maxDuration());
            DatagramChannel channel = MulticastChannels.openSender(senderLoops, config.multicast());
            try (ImageSource image = ImageSource.of(file)) {
                var announce = job.announcement() == null ? null
                        : org.stbguest.multicast.wire.AnnounceFrame.of(job.announcement());
                new TransmissionSender(channel, bytesSent).transmit(plan, image, announce, () -> live.contains(job.id()));
            } finally {
                channel.close().awaitUninterruptibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            log.error("event=transmission_failed tx={} error={}", job.id(), e.toString());
        } finally {
            transmissionsDone.incrementAndGet();
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.debug("event=cleanup_failed file={}", file);
            }
            // a transmission that is still live after its carousel bounds stays off the air until it is rescheduled
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
