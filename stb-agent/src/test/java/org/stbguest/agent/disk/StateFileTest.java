package org.stbguest.agent.disk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state file's copies torn at every byte, with garbage appended, and cut by the power at every operation of a
 * save: the loader always returns the old state or the new one, never neither and never an exception.
 */
class StateFileTest {

    private static final Path DIR = Path.of("/box/state");
    private static final byte[] OLD = "{\"state\":\"old\",\"pad\":\"..........\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NEW = "{\"state\":\"new\",\"more\":[1,2,3,4,5,6,7,8,9]}".getBytes(StandardCharsets.UTF_8);

    private static String load(Disk disk) throws Exception {
        return new StateFile(disk, DIR, "bootctl-x").load().map(b -> new String(b, StandardCharsets.UTF_8))
                .orElse(null);
    }

    /** A disk holding OLD as generation 0 and NEW as generation 1; returns the copy holding NEW. */
    private static Path twoGenerations(PowerCutDisk disk) throws Exception {
        StateFile f = new StateFile(disk, DIR, "bootctl-x");
        f.save(OLD);
        f.save(NEW);
        return f.copy(1);
    }

    @Test
    void theNewestCopyTruncatedAtEveryByteLoadsTheOldStateOrTheNew() throws Exception {
        PowerCutDisk disk = new PowerCutDisk();
        Path newest = twoGenerations(disk);
        byte[] full = disk.content(newest);
        int olds = 0;
        for (int cut = 0; cut <= full.length; cut++) {
            PowerCutDisk torn = disk.survivors();
            torn.put(newest, Arrays.copyOf(full, cut));
            String loaded = load(torn);
            if (cut == full.length) {
                assertThat(loaded).isEqualTo(new String(NEW, StandardCharsets.UTF_8));
            } else {
                assertThat(loaded).as("cut at byte %d", cut).isEqualTo(new String(OLD, StandardCharsets.UTF_8));
                olds++;
            }
        }
        assertThat(olds).isEqualTo(full.length);
    }

    @Test
    void theOlderCopyTruncatedAtEveryByteLeavesTheNewState() throws Exception {
        PowerCutDisk disk = new PowerCutDisk();
        twoGenerations(disk);
        Path older = new StateFile(disk, DIR, "bootctl-x").copy(0);
        byte[] full = disk.content(older);
        for (int cut = 0; cut <= full.length; cut++) {
            PowerCutDisk torn = disk.survivors();
            torn.put(older, Arrays.copyOf(full, cut));
            assertThat(load(torn)).as("cut at byte %d", cut).isEqualTo(new String(NEW, StandardCharsets.UTF_8));
        }
    }

    @Test
    void garbageAppendedOrAByteFlippedNeverLosesBothStates() throws Exception {
        PowerCutDisk disk = new PowerCutDisk();
        Path newest = twoGenerations(disk);
        byte[] full = disk.content(newest);
        var random = new java.util.SplittableRandom(7);
        for (int n : new int[] {1, 2, 17, 4096}) {
            byte[] garbage = new byte[n];
            random.nextBytes(garbage);
            PowerCutDisk d = disk.survivors();
            byte[] appended = Arrays.copyOf(full, full.length + n);
            System.arraycopy(garbage, 0, appended, full.length, n);
            d.put(newest, appended);
            assertThat(load(d)).as("%d bytes of garbage after the record", n)
                    .isEqualTo(new String(NEW, StandardCharsets.UTF_8));
        }
        for (int at = 0; at < full.length; at++) {
            PowerCutDisk d = disk.survivors();
            byte[] flipped = full.clone();
            flipped[at] ^= 0x5a;
            d.put(newest, flipped);
            assertThat(load(d)).as("byte %d flipped", at).isIn(new String(OLD, StandardCharsets.UTF_8),
                    new String(NEW, StandardCharsets.UTF_8));
        }
    }

    @Test
    void aPowerCutAtEveryOperationOfASaveLeavesTheOldStateOrTheNew() throws Exception {
        PowerCutDisk base = new PowerCutDisk();
        new StateFile(base, DIR, "bootctl-x").save(OLD);
        int checked = 0;
        for (long n = 0; ; n++) {
            PowerCutDisk d = base.survivors(n);
            boolean cut = false;
            try {
                new StateFile(d, DIR, "bootctl-x").save(NEW);
            } catch (PowerCutDisk.PowerCut e) {
                cut = true;
            }
            String loaded = load(d.survivors());
            if (!cut) {
                assertThat(loaded).isEqualTo(new String(NEW, StandardCharsets.UTF_8));
                break;
            }
            assertThat(loaded).as("cut after %d operations", n).isEqualTo(new String(OLD, StandardCharsets.UTF_8));
            checked++;
        }
        assertThat(checked).as("a save is a truncation, a write, an fsync and a directory fsync").isGreaterThanOrEqualTo(3);
    }

    @Test
    void onARealDiskTheCopiesAlternateAndAReloadedFileGoesOn(@TempDir Path dir) throws Exception {
        StateFile f = new StateFile(Disk.local(), dir, "s");
        assertThat(f.load()).isEmpty();
        for (int i = 0; i < 5; i++) {
            f.save(("v" + i).getBytes(StandardCharsets.UTF_8));
        }
        StateFile again = new StateFile(Disk.local(), dir, "s");
        assertThat(again.load()).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("v4"));
        again.save("v5".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(dir.resolve("s.1"))).startsWith("stb-state 1 5 ").endsWith("v5");
        assertThat(Files.readString(dir.resolve("s.0"))).startsWith("stb-state 1 4 ").endsWith("v4");
        Files.write(dir.resolve("s.1"), new byte[] {'x'});
        assertThat(new StateFile(Disk.local(), dir, "s").load())
                .hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("v4"));
    }
}
