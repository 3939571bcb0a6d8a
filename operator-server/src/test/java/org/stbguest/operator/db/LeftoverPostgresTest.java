package org.stbguest.operator.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A PostgreSQL left running by a crashed JVM is stopped, and a new one starts on the same data. */
class LeftoverPostgresTest {

    @TempDir
    Path dir;

    @Test
    void stopsAServerLeftRunningOnTheDataDirectoryAndTheDataSurvives() throws Exception {
        Path data = dir.resolve("pg");
        Files.createDirectories(data);
        Process owner = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashingOwnerMain.class.getName(), data.toString())
                .redirectErrorStream(true).start();
        try (var out = new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                // skip the child's log lines
            }
            assertThat(line).as("child JVM started PostgreSQL").isEqualTo("READY");
            owner.destroyForcibly().waitFor(); // SIGKILL: no shutdown hooks, PostgreSQL is left running
        }
        long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
        assertThat(ProcessHandle.of(pid)).hasValueSatisfying(h -> assertThat(h.isAlive()).isTrue());

        LeftoverPostgres.stopIfRunning(data, Duration.ofSeconds(20));

        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        try (EmbeddedPostgres restarted = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false)
                .setPGStartupWait(Duration.ofSeconds(20)).start();
             Connection c = restarted.getPostgresDatabase().getConnection();
             ResultSet rs = c.createStatement().executeQuery("select v from survivor")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(42);
        }
    }

    @Test
    void leavesAnUnrelatedProcessAlone() throws Exception {
        Path data = dir.resolve("pg2");
        Files.createDirectories(data);
        long self = ProcessHandle.current().pid();
        Files.writeString(data.resolve("postmaster.pid"), self + "\n" + data + "\n");
        LeftoverPostgres.stopIfRunning(data, Duration.ofSeconds(1));
        assertThat(ProcessHandle.current().isAlive()).isTrue();
    }
}
