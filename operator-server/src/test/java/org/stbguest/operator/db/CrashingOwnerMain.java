package org.stbguest.operator.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;

/** Test helper run in a child JVM: starts PostgreSQL on a directory, writes a row, says READY, waits to be killed. */
public final class CrashingOwnerMain {

    private CrashingOwnerMain() {
    }

    public static void main(String[] args) throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(Path.of(args[0])).setCleanDataDirectory(false)
                .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on").start();
        try (Connection c = pg.getPostgresDatabase().getConnection()) {
            c.createStatement().execute("create table survivor (v int); insert into survivor values (42)");
        }
        System.out.println("READY");
        System.out.flush();
        new java.util.concurrent.CountDownLatch(1).await(); // parked until the test SIGKILLs this JVM
    }
}
