package org.stbguest.agent.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;

/**
 * Real guests under QEMU (TCG), one boot at a time: a healthy guest commits and keeps running, FAIL, a panic and a
 * hang fail their trial with the reason, the wrong role's or version's guest is refused, two roles run side by side,
 * a committed guest that crashes is noticed, and a QEMU left behind by a dead agent is stopped on start.
 */
class QemuHypervisorTest {

    @TempDir
    Path tmp;
    private QemuHypervisor qemu;

    @BeforeEach
    void start() throws Exception {
        GuestImages.requireQemu();
        qemu = new QemuHypervisor(settings(Duration.ofSeconds(30)));
    }

    @AfterEach
    void stop() {
        if (qemu != null) {
            qemu.close();
        }
    }

    private QemuHypervisor.Settings settings(Duration deadline) {
        return new QemuHypervisor.Settings(Path.of("qemu-system-x86_64"), tmp.resolve("run"), "128M", deadline,
                Duration.ofSeconds(10));
    }

    private static BootRequest request(String role, long version, Path image) {
        return new BootRequest(role, Slot.B, Digest.sha256(image.toString().getBytes()), version, image);
    }

    @Test
    void aHealthyGuestSaysReadyCommitsAndKeepsRunning() throws Exception {
        long t0 = System.nanoTime();
        BootOutcome outcome = qemu.boot(request("entertainment", 2, GuestImages.image("entertainment", 2, "healthy")));
        assertThat(outcome.healthy()).as(outcome.detail()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
        assertThat(qemu.runningRoles()).containsExactly("entertainment");
        long pid = Long.parseLong(Files.readString(tmp.resolve("run/entertainment/qemu.pid")).trim());
        assertThat(ProcessHandle.of(pid)).isPresent();
        // it goes on saying ALIVE: for longer than the alive timeout (10 s) it stays running
        await().during(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(14))
                .until(() -> qemu.runningRoles().contains("entertainment"));
        qemu.stop("entertainment");
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void aGuestThatReportsFailFailsItsTrialWithTheReason() throws Exception {
        BootOutcome outcome = qemu.boot(request("entertainment", 2, GuestImages.image("entertainment", 2, "fail")));
        assertThat(outcome.healthy()).isFalse();
        assertThat(outcome.detail()).contains("guest reported FAIL", "GUEST entertainment 2 FAIL");
        assertThat(qemu.runningRoles()).isEmpty();
    }

    @Test
    void aKernelPanicFailsTheTrialWhenQemuExits() throws Exception {
        BootOutcome outcome = qemu.boot(request("entertainment", 2, GuestImages.image("entertainment", 2, "panic")));
        assertThat(outcome.healthy()).isFalse();
        assertThat(outcome.detail()).contains("QEMU exited before READY");
    }

    @Test
    void aSilentGuestFailsItsTrialAtTheDeadlineAndIsStopped() throws Exception {
        qemu.close();
        qemu = new QemuHypervisor(settings(Duration.ofSeconds(8)));
        long t0 = System.nanoTime();
        Path image = GuestImages.image("entertainment", 2, "hang");
        CompletableFuture<BootOutcome> boot = CompletableFuture.supplyAsync(() -> {
            try {
                return qemu.boot(request("entertainment", 2, image));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Path pidFile = tmp.resolve("run/entertainment/qemu.pid");
        await().atMost(Duration.ofSeconds(8)).until(() -> Files.isRegularFile(pidFile) && Files.size(pidFile) > 0);
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        BootOutcome outcome = boot.get(30, TimeUnit.SECONDS);
        assertThat(outcome.healthy()).isFalse();
        assertThat(outcome.detail()).contains("no READY within 8 s");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(20));
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("QEMU stopped").isFalse();
    }

    @Test
    void theWrongRolesOrVersionsGuestIsNotCommitted() throws Exception {
        BootOutcome oldVersion = qemu.boot(request("entertainment", 2, GuestImages.image("entertainment", 1, "healthy")));
        assertThat(oldVersion.healthy()).isFalse();
        assertThat(oldVersion.detail()).contains("wrong guest", "expected 'GUEST entertainment 2 READY'",
                "got 'GUEST entertainment 1 READY'");
        BootOutcome otherRole = qemu.boot(request("entertainment", 1, GuestImages.image("security", 1, "healthy")));
        assertThat(otherRole.healthy()).isFalse();
        assertThat(otherRole.detail()).contains("got 'GUEST security 1 READY'");
        assertThat(qemu.runningRoles()).isEmpty();
    }

    @Test
    void twoRolesRunSideBySide() throws Exception {
        assertThat(qemu.boot(request("security", 1, GuestImages.image("security", 1, "healthy"))).healthy()).isTrue();
        assertThat(qemu.boot(request("entertainment", 2, GuestImages.image("entertainment", 2, "healthy"))).healthy())
                .isTrue();
        assertThat(qemu.runningRoles()).containsExactlyInAnyOrder("security", "entertainment");
        // booting the entertainment role again leaves the security guest alone
        assertThat(qemu.boot(request("entertainment", 1, GuestImages.image("entertainment", 1, "healthy"))).healthy())
                .isTrue();
        assertThat(qemu.runningRoles()).containsExactlyInAnyOrder("security", "entertainment");
    }

    @Test
    void aCommittedGuestThatCrashesIsReported() throws Exception {
        CompletableFuture<String> crash = new CompletableFuture<>();
        qemu.onCrash((role, digest, reason) -> crash.complete(role + ": " + reason));
        assertThat(qemu.boot(request("entertainment", 2, GuestImages.image("entertainment", 2, "crash"))).healthy())
                .isTrue();
        assertThat(crash.get(30, TimeUnit.SECONDS)).startsWith("entertainment: QEMU exited");
        assertThat(qemu.runningRoles()).isEmpty();
    }

    @Test
    void aQemuLeftByADeadAgentIsStoppedOnStartAndOtherProcessesAreNot() throws Exception {
        assertThat(qemu.boot(request("entertainment", 2, GuestImages.image("entertainment", 2, "healthy"))).healthy())
                .isTrue();
        long pid = Long.parseLong(Files.readString(tmp.resolve("run/entertainment/qemu.pid")).trim());
        // a pid file that names a process which is not QEMU (this very test JVM) must not get it killed
        Files.createDirectories(tmp.resolve("run/security"));
        Files.writeString(tmp.resolve("run/security/qemu.pid"), Long.toString(ProcessHandle.current().pid()));
        // the agent "lost power": a new backend starts on the same folder without the old one closing
        try (QemuHypervisor restarted = new QemuHypervisor(settings(Duration.ofSeconds(30)))) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(ProcessHandle.current().isAlive()).isTrue();
            assertThat(restarted.runningRoles()).isEmpty();
        }
    }
}
