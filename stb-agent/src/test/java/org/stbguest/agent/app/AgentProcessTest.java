package org.stbguest.agent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.agent.BoxLab;
import org.stbguest.agent.disk.Disk;
import org.stbguest.agent.slot.BootControlStore;
import org.stbguest.agent.slot.SlotPair;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.device.api.ReportType;
import org.stbguest.device.api.Slot;

/**
 * The agent as its own process ({@link AgentMain} on this test's class path, {@code -Xmx64m}) against a scripted
 * server on loopback: it enrols with the fleet secret once, installs and commits, rides out the server being down, stops
 * cleanly on SIGTERM, and is SIGKILLed at random moments of installs, commits and rollbacks more than fifty times,
 * restarted each time on what it left: the state parses, every slot recorded as holding an image holds it intact, and
 * the last order is carried out in the end.
 */
class AgentProcessTest {

    private final BoxLab lab = new BoxLab();
    private final List<Process> processes = new ArrayList<>();

    AgentProcessTest() throws Exception {
    }

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        lab.close();
    }

    private Path config(Path dir, String... extra) throws Exception {
        Path anchor = dir.resolve("anchor.json");
        Files.write(anchor, DeviceApiJson.mapper().writeValueAsBytes(lab.anchor));
        List<String> lines = new ArrayList<>(List.of(
                "server=" + lab.server.uri(),
                "data-dir=" + dir.resolve("data"),
                "serial=SN-PROC-1",
                "hardware-model=" + BoxLab.MODEL,
                "roles=" + BoxLab.ROLE,
                "trust-anchor=" + anchor,
                "enrolment-secret=" + BoxLab.FLEET_SECRET,
                "hypervisor=simulated",
                "check-in-interval=200ms",
                "min-check-in=100ms",
                "max-check-in=2s",
                "stage-timeout=2s"));
        lines.addAll(List.of(extra));
        Path file = dir.resolve("agent.properties");
        Files.write(file, lines);
        return file;
    }

    private Process start(Path config, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // C1 only: the agent starts sooner, and nothing tested here depends on the JIT
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"),
                AgentMain.class.getName(), "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("STB_AGENT_"));
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static SlotPair pair(Path dir) throws Exception {
        return new BootControlStore(Disk.local(), dir.resolve("data").resolve("state")).load(BoxLab.ROLE).orElse(null);
    }

    /** The state parses, and every slot recorded as holding an image holds exactly its bytes. */
    private void check(Path dir, String when) throws Exception {
        SlotPair p = pair(dir);
        if (p == null) {
            return; // killed before its first boot-control save: still a fresh box
        }
        for (Slot s : Slot.values()) {
            var st = p.slot(s);
            if (st.holdsImage()) {
                Path file = dir.resolve("data").resolve("slots").resolve(BoxLab.ROLE)
                        .resolve("slot-" + s.name().toLowerCase(Locale.ROOT) + ".img");
                assertThat(Files.readAllBytes(file)).as("%s: slot %s recorded as holding %s", when, s,
                        st.digest().shortHex()).isEqualTo(lab.images.get(st.digest()).bytes());
            }
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        return AgentMain.run(args, Map.of(), new PrintStream(out), new PrintStream(err), new CountDownLatch(0));
    }

    @Test
    void helpListsEverySettingAndABadConfigIsRefusedPlainly(@TempDir Path dir) throws Exception {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        assertThat(run(out, err, "--help")).isZero();
        for (AgentSettings.Setting s : AgentSettings.SETTINGS) {
            assertThat(out.toString()).contains(s.key(), s.env());
        }
        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, "server=http://127.0.0.1:1/\nserail=typo\n");
        assertThat(run(out, err, "--config", bad.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("unknown setting 'serail'");
        assertThat(run(out, err, "--frobnicate")).isEqualTo(2);
        Files.writeString(bad, "server=ftp://example/\n");
        assertThat(run(out, err, "--config", bad.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("http or https");
    }

    @Test
    void theEnvironmentOverridesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("a.properties");
        Files.writeString(file, "server=http://127.0.0.1:1/\nboot-tries=1\nqemu.memory=128M\n");
        var s = AgentSettings.load(file, Map.of("STB_AGENT_BOOT_TRIES", "3", "STB_AGENT_QEMU_MEMORY", "256M"));
        assertThat(s.integer("boot-tries")).isEqualTo(3);
        assertThat(s.get("qemu.memory")).isEqualTo("256M");
        assertThat(s.duration("check-in-interval")).isEqualTo(Duration.ofSeconds(60));
        assertThat(AgentSettings.parseDuration("x", "250ms")).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> AgentSettings.parseDuration("x", "soon")).hasMessageContaining("x must be a duration");
    }

    @Test
    void aWrongFleetSecretStopsTheProcessWithAPlainMessage(@TempDir Path dir) throws Exception {
        Path config = config(dir);
        Files.writeString(config, Files.readString(config).replace(BoxLab.FLEET_SECRET, "wrong"));
        Path log = dir.resolve("agent.log");
        Process p = start(config, log);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(Files.readString(log)).contains("refused the fleet enrolment secret").doesNotContain("wrong\n");
        assertThat(lab.enrolments).isEmpty();
    }

    @Test
    void theProcessEnrolsOnceInstallsRidesOutAServerOutageAndStopsCleanly(@TempDir Path dir) throws Exception {
        var v1 = lab.image(1, 1, 64, 1);
        var v2 = lab.image(2, 1, 64, 2);
        lab.want(v1, lab.activate(1, v1));
        Path config = config(dir);
        Path log = dir.resolve("agent.log");
        Process p = start(config, log);
        await().atMost(Duration.ofSeconds(30)).until(() -> v1.digest().equals(lab.reportedActive()));
        assertThat(lab.enrolments).hasSize(1);
        // the server goes down; the box keeps trying and carries out the next order once it is back
        lab.down = true;
        lab.want(v2, lab.activate(2, v2));
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("check_in_failed"));
        lab.down = false;
        await().atMost(Duration.ofSeconds(30)).until(() -> v2.digest().equals(lab.reportedActive()));
        p.destroy(); // SIGTERM
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
        assertThat(p.exitValue()).as("a clean stop").isIn(0, 143);
        assertThat(Files.readString(log)).contains("event=agent_stopping")
                .doesNotContain(lab.enrolments.get(0).token());
        // restarted, it uses the credentials it saved: no second enrolment
        int before = lab.checkIns.get();
        Process again = start(config, log);
        await().atMost(Duration.ofSeconds(30)).until(() -> lab.checkIns.get() >= before + 2);
        assertThat(lab.enrolments).hasSize(1);
        again.destroy();
        again.waitFor(30, TimeUnit.SECONDS);
        assertThat(lab.reports).extracting(DeviceReport::type).contains(ReportType.STAGED, ReportType.ACTIVATED);
    }

    @Test
    void sigkillAtRandomMomentsOfInstallCommitAndRollbackNeverBreaksTheBox(@TempDir Path dir) throws Exception {
        // 2 MiB images: a download and its verification take long enough to be cut
        var images = List.of(lab.image(1, 1, 512, 11), lab.image(2, 1, 512, 12), lab.image(3, 1, 512, 13));
        Path config = config(dir, "simulated.boot-time=300ms");
        Path log = dir.resolve("agent.log");
        Files.writeString(log, "");
        // a slow link (2 MiB in about 0.6 s): a kill soon after a staging begins falls in the middle of it
        lab.linkPauseMs = 20;
        var random = new SplittableRandom(2026);
        long sequence = 1;
        int kills = 0;
        int midway = 0;
        int target = 0;
        lab.want(images.get(0), lab.activate(sequence++, images.get(0)));
        long started = System.nanoTime();
        while (kills < 64 && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(300)) {
            if (kills % 2 == 0) {
                // an order every other kill, alternately an install (an image neither slot holds) and a rollback (to
                // the image in the other slot); the kill in between falls on a restart that carries the order on
                SlotPair held = pair(dir);
                // what the box runs: its active slot once committed; after a trial cut short, the committed slot it
                // falls back to (an order for that one would be carried out already, and cut nothing short)
                var running = held == null ? null : java.util.Arrays.stream(Slot.values())
                        .filter(s -> held.slot(s).successful())
                        .max(java.util.Comparator.comparingInt(s -> held.slot(s).priority()))
                        .map(s -> held.slot(s).digest()).orElse(null);
                int other = -1;
                int fresh = -1;
                for (int i = 0; i < images.size(); i++) {
                    var d = images.get(i).digest();
                    boolean inSlot = held != null && held.slotHolding(d).isPresent();
                    if (!inSlot && fresh < 0) {
                        fresh = i;
                    } else if (inSlot && !d.equals(running)) {
                        other = i;
                    }
                }
                target = kills % 4 == 0 || other < 0 ? fresh : other;
                lab.want(images.get(target), lab.activate(sequence++, images.get(target)));
            }
            String before = Files.readString(log);
            int startedBefore = count(before, "event=agent_started");
            // the work itself takes about a second (a 2 MiB staging on a slow link, a guest that boots in 300 ms): each
            // kill comes at a random moment of one of its steps, or of a restart
            String trigger = switch (kills % 4) {
                case 0 -> "event=staging_started"; // the install: mid-download or mid-verification
                case 1, 2 -> "event=trial_started"; // the installed image's trial and commit; the rollback's trial
                default -> "event=agent_started";
            };
            int triggerBefore = count(before, trigger);
            Process p = start(config, log);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> count(Files.readString(log), "event=agent_started") > startedBefore || !p.isAlive());
            long waitMs;
            if (trigger.equals("event=agent_started")) {
                waitMs = random.nextInt(1500);
            } else {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (count(Files.readString(log), trigger) <= triggerBefore && p.isAlive()
                        && System.nanoTime() < until) {
                    p.waitFor(5, TimeUnit.MILLISECONDS);
                }
                waitMs = random.nextInt(trigger.equals("event=staging_started") ? 600 : 300);
            }
            assertThat(p.waitFor(waitMs, TimeUnit.MILLISECONDS)).as("the agent exited on its own; see %s", log)
                    .isFalse();
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            kills++;
            check(dir, "after kill " + kills + " at " + waitMs + " ms");
            SlotPair now = pair(dir);
            var wanted = images.get(target).digest();
            if (now == null || !wanted.equals(now.activeDigest().orElse(null))
                    || !now.slot(now.active().orElseThrow()).successful()) {
                midway++; // the kill cut an order short: staging, verifying or on trial
            }
        }
        String text = Files.readString(log);
        System.out.printf("agent-kills: kills=%d midway=%d started=%d staged=%d resumed_stagings=%d committed=%d "
                        + "rolled_back_or_fell_back=%d%n", kills, midway, count(text, "event=agent_started"),
                count(text, "event=image_staged"), count(text, "event=staging_resumed"),
                count(text, "event=slot_committed"), count(text, "event=fell_back"));
        assertThat(kills).isEqualTo(64);
        assertThat(midway).as("kills that cut an install, a commit or a rollback short").isGreaterThanOrEqualTo(40);
        // left alone, it carries out the last order
        var last = images.get(target);
        Process p = start(config, log);
        // committed, not only on trial (a box reports the slot it runs while the trial lasts)
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            SlotPair now = pair(dir);
            return last.digest().equals(lab.reportedActive()) && now != null
                    && last.digest().equals(now.activeDigest().orElse(null))
                    && now.slot(now.active().orElseThrow()).successful();
        });
        SlotPair pair = pair(dir);
        assertThat(pair.activeDigest()).contains(last.digest());
        assertThat(pair.slot(pair.active().orElseThrow()).successful()).isTrue();
        check(dir, "at the end");
        p.destroy();
        p.waitFor(30, TimeUnit.SECONDS);
    }
}
