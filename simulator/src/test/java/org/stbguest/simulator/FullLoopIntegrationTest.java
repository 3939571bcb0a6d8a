package org.stbguest.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.stbguest.agent.slot.BootControlState;
import org.stbguest.agent.slot.SlotState;
import org.stbguest.device.api.Slot;

/**
 * The whole loop on real parts: the operator server on a real PostgreSQL (embedded binaries), the distributor
 * sending real UDP multicast on loopback, agents checking in and reporting over real HTTP and writing real slot
 * files. Asserts every agent's boot-control state after activation and after the rollback.
 */
class FullLoopIntegrationTest {

    @Test
    void everyBoxStagesActivatesAndRollsBackToItsOriginalSlot() throws Exception {
        // kept under target/ (not a JUnit temp dir) so the server log survives a failure
        Path dir = Path.of("target", "full-loop").toAbsolutePath();
        SimulatorMain.deleteTree(dir);
        var screen = new ByteArrayOutputStream();
        var options = new DemoScenario.Options(4, 1, true, dir, new PrintStream(screen, true), false, Duration.ofSeconds(120));

        DemoScenario.Result result = new DemoScenario(options).run();

        assertThat(result.ok()).as("scenario: %s%n%s", result.failure(), screen).isTrue();
        assertThat(result.summary()).matches("demo: agents=4 staged=4 activated=([1-4]) rolled_back=\\1 result=ok "
                + "waves=[1-3] detected_after_s=[0-9.]+");
        assertThat(result.activated()).as("the first wave (10% of 4 boxes: one) activated before the guard halted")
                .isBetween(1, 4);

        assertThat(result.afterActivation()).hasSize(4);
        for (Map.Entry<UUID, BootControlState> e : result.afterActivation().entrySet()) {
            BootControlState s = e.getValue();
            if (s.active() != Slot.B) {
                // not in the first wave: still on its original image, the new one staged beside it
                assertThat(s.slots().get(0).digest()).isEqualTo(result.original());
                assertThat(s.slots().get(1).digest()).isEqualTo(result.updated());
                continue;
            }
            SlotState b = s.slots().get(1);
            assertThat(b.digest()).isEqualTo(result.updated());
            assertThat(b.successful()).isTrue();
            SlotState a = s.slots().get(0);
            assertThat(a.digest()).as("the original stays in slot A as fallback").isEqualTo(result.original());
            assertThat(a.bootable()).isTrue();
        }

        assertThat(result.afterRollback()).hasSize(4);
        for (Map.Entry<UUID, BootControlState> e : result.afterRollback().entrySet()) {
            BootControlState s = e.getValue();
            assertThat(s.active()).as("device %s runs slot A after the rollback", e.getKey()).isEqualTo(Slot.A);
            assertThat(s.slots().get(0).digest()).isEqualTo(result.original());
            assertThat(s.slots().get(0).successful()).isTrue();
            assertThat(s.slots().get(1).digest()).as("no download: the new image is still in slot B")
                .isEqualTo(result.updated());
        }

        assertThat(result.serverRolloutState()).isEqualTo("ROLLED_BACK");
        assertThat(result.serverOnPrevious()).isEqualTo(4);
        assertThat(result.distributorBytes()).as("the image went over multicast").isGreaterThanOrEqualTo(result.imageBytes());
        try (var slotFiles = Files.walk(dir.resolve("agents"))) {
            assertThat(slotFiles.filter(p -> p.getFileName().toString().equals("slot-b.img")))
                    .hasSize(4)
                    .allSatisfy(p -> assertThat(Files.size(p)).isEqualTo(result.imageBytes()));
        }
        assertThat(screen.toString()).contains("[guard]", "halted in wave", "SPRT");
    }
}
