package org.stbguest.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.distributor.DistributorConfig;
import org.stbguest.distributor.DistributorService;
import org.stbguest.multicast.MulticastSettings;

/**
 * {@code bench/agent-install}: one box, the real agent process with a small heap, installs a large guest image
 * through the real pipeline (the operator server on its embedded PostgreSQL, the distributor multicasting on
 * loopback, verification, a real slot file), then boots it under QEMU and commits it. The image is the healthy test
 * guest padded with random bytes to the size asked for, so the same file is installed and booted. Figures come from
 * the agent's own log (millisecond timestamps): install (staging started to image staged), the verification pass,
 * boot to commit, and READY to commit.
 */
final class AgentInstallBench {

    private static final String MODEL = "stb-bench";

    private AgentInstallBench() {
    }

    static int run(Path guest, Path agentJar, int imageMib, int xmxMib, long rateBitsPerSecond) throws Exception {
        Path dir = Files.createTempDirectory("agent-install-");
        try {
            Path image = pad(guest, imageMib, dir.resolve("image.img"));
            System.out.printf("image: %s padded to %d MiB (%d bytes)%n", guest.getFileName(), imageMib,
                    Files.size(image));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            try (EmbeddedServer server = new EmbeddedServer(dir.resolve("server"), dir.resolve("server.log"),
                    Map.of("stb.security.fleet-enrolment-secret", "bench-fleet", "stb.rollout-tick", "200ms",
                            "stb.multicast.rate-bits-per-second", Long.toString(rateBitsPerSecond),
                            "stb.max-image-size", "4GB"))) {
                var distributorConfig = new DistributorConfig(server.uri, "distributor", server.distributorPassword,
                        MulticastSettings.LOOPBACK, DistributorConfig.DEFAULT_CONTROL_GROUP,
                        DistributorConfig.DEFAULT_CONTROL_PORT, dir.resolve("distributor"), Duration.ofMillis(250),
                        10_000, Duration.ofMinutes(20));
                try (DistributorService distributor = new DistributorService(distributorConfig, http)) {
                    distributor.start();
                    OperatorApi admin = new OperatorApi(http, server.uri, "admin", server.adminPassword);
                    var uploaded = admin.upload(Files.readAllBytes(image), "entertainment", 2, 1, List.of(MODEL));
                    admin.release(uploaded.id());
                    Path anchor = dir.resolve("anchor.json");
                    Files.write(anchor, DeviceApiJson.mapper().writeValueAsBytes(admin.keySets().get(0)));
                    Path config = dir.resolve("agent.properties");
                    Files.write(config, List.of("server=" + server.uri, "data-dir=" + dir.resolve("box"),
                            "serial=BENCH-1", "hardware-model=" + MODEL, "roles=entertainment",
                            "trust-anchor=" + anchor, "enrolment-secret=bench-fleet", "hypervisor=qemu",
                            "multicast-interface=lo", "control-group=" + DistributorConfig.DEFAULT_CONTROL_GROUP,
                            "control-port=" + DistributorConfig.DEFAULT_CONTROL_PORT, "check-in-interval=1s",
                            "min-check-in=500ms", "max-check-in=5s", "stage-timeout=120s"));
                    Path log = dir.resolve("agent.log");
                    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                    Process agent = new ProcessBuilder(java, "-Xmx" + xmxMib + "m", "-jar", agentJar.toString(),
                            "--config", config.toString()).redirectErrorStream(true)
                            .redirectOutput(log.toFile()).start();
                    try {
                        var rollout = admin.createRollout(uploaded.id(), 1_000_000, List.of(Map.of("share", 1.0)));
                        admin.startRollout(rollout.id());
                        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
                        String state = "";
                        long peakRssKib = 0;
                        while (System.nanoTime() < deadline && agent.isAlive()) {
                            state = admin.rollout(rollout.id()).state();
                            peakRssKib = Math.max(peakRssKib, peakRss(agent.pid()));
                            if (!List.of("STAGING", "ACTIVATING").contains(state)) {
                                break;
                            }
                            Thread.sleep(500); // the bench's polling pace: one look at the rollout every half second
                        }
                        peakRssKib = Math.max(peakRssKib, peakRss(agent.pid()));
                        String text = Files.readString(log);
                        boolean ok = state.equals("COMPLETED") && agent.isAlive() && !text.contains("OutOfMemoryError");
                        report(text, imageMib, xmxMib, ok, peakRssKib);
                        if (!ok) {
                            System.out.println("rollout " + state + "; the agent's last lines:");
                            List<String> lines = text.lines().toList();
                            lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(System.out::println);
                        }
                        return ok ? 0 : 1;
                    } finally {
                        agent.destroy();
                        if (!agent.waitFor(30, TimeUnit.SECONDS)) {
                            agent.destroyForcibly();
                        }
                    }
                }
            }
        } finally {
            SimulatorMain.deleteTree(dir);
        }
    }

    /** The guest image with a random {@code payload} entry (stored) bringing the file to {@code mib} MiB. */
    static Path pad(Path guest, int mib, Path out) throws IOException {
        long target = (long) mib << 20;
        long pad = Math.max(0, target - Files.size(guest) - 400);
        Path payload = out.resolveSibling("payload.bin");
        CRC32 crc = new CRC32();
        var random = new SplittableRandom(mib);
        byte[] buf = new byte[1 << 20];
        try (OutputStream o = Files.newOutputStream(payload)) {
            for (long left = pad; left > 0; left -= buf.length) {
                random.nextBytes(buf);
                int n = (int) Math.min(buf.length, left);
                crc.update(buf, 0, n);
                o.write(buf, 0, n);
            }
        }
        try (ZipFile in = new ZipFile(guest.toFile());
             ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            for (var e = in.entries(); e.hasMoreElements(); ) {
                ZipEntry src = e.nextElement();
                ZipEntry copy = new ZipEntry(src.getName());
                copy.setMethod(ZipEntry.STORED);
                copy.setSize(src.getSize());
                copy.setCompressedSize(src.getSize());
                copy.setCrc(src.getCrc());
                zip.putNextEntry(copy);
                try (InputStream data = in.getInputStream(src)) {
                    data.transferTo(zip);
                }
                zip.closeEntry();
            }
            ZipEntry p = new ZipEntry("payload");
            p.setMethod(ZipEntry.STORED);
            p.setSize(pad);
            p.setCompressedSize(pad);
            p.setCrc(crc.getValue());
            zip.putNextEntry(p);
            Files.copy(payload, zip);
            zip.closeEntry();
        }
        Files.delete(payload);
        return out;
    }

    private static long peakRss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the process has gone
        }
        return 0;
    }

    private static Instant at(String text, String event) {
        Matcher m = Pattern.compile("(?m)^(\\S+) \\S+\\s+\\S+ event=" + event + "\\b").matcher(text);
        return m.find() ? Instant.parse(m.group(1)) : null;
    }

    private static void report(String text, int imageMib, int xmxMib, boolean ok, long peakRssKib) {
        Instant started = at(text, "staging_started");
        Instant staged = at(text, "image_staged");
        Instant receiving = at(text, "staging_receiving");
        Instant booting = at(text, "guest_started");
        Instant ready = at(text, "guest_ready");
        Instant committed = at(text, "slot_committed");
        Matcher v = Pattern.compile("event=image_staged .*bytes=(\\d+) verify_ms=(\\d+) .*multicast_chunks=(-?\\d+) "
                + "repaired_chunks=(\\d+)").matcher(text);
        double verifyMibS = 0;
        String chunks = "";
        if (v.find()) {
            verifyMibS = Long.parseLong(v.group(1)) / 1048576.0 / Math.max(1, Long.parseLong(v.group(2))) * 1000;
            chunks = " multicast_chunks=" + v.group(3) + " repaired_chunks=" + v.group(4);
        }
        double installS = seconds(started, staged);
        double bootS = seconds(booting, committed);
        long readyMs = ready == null || committed == null ? -1 : Duration.between(ready, committed).toMillis();
        double receiveS = seconds(receiving, staged);
        System.out.printf("install: %.1f s for %d MiB from the offer (%.1f s waiting for the headend to put it on the "
                        + "air), %.1f s from the first chunk (%.1f MiB/s, the final verification included); "
                        + "verification pass %.1f MiB/s%s%n", installS, imageMib, installS - receiveS, receiveS,
                receiveS > 0 ? imageMib / receiveS : 0, verifyMibS, chunks);
        System.out.printf("boot: guest started to commit %.2f s, READY to commit %d ms; agent peak RSS %d MiB with "
                + "-Xmx%dm%n", bootS, readyMs, peakRssKib / 1024, xmxMib);
        System.out.printf("agent-install: image_mib=%d xmx_mib=%d ok=%s install_s=%.1f verify_mib_s=%.0f "
                        + "boot_to_commit_s=%.2f ready_to_commit_ms=%d%n", imageMib, xmxMib, ok, installS, verifyMibS,
                bootS, readyMs);
    }

    private static double seconds(Instant from, Instant to) {
        return from == null || to == null ? -1 : Duration.between(from, to).toMillis() / 1000.0;
    }
}
