package org.stbguest.operator.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Which server instance does the periodic work (advancing waves, the guard, renewing statements): the one holding a
 * PostgreSQL session advisory lock, on a connection it keeps for the purpose. Several instances on one database thus
 * run each periodic action exactly once: the others ask on every tick and stay idle while the lock is held. The lock
 * goes with the session: an instance that stops, crashes or loses its connection (the database restarted) lets go of
 * it at once, and the next instance to ask takes over. An instance checks that its session is still alive before
 * each piece of work, so it never acts on a lock its database has already dropped.
 */
@Component
public class Leadership implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(Leadership.class);
    /** The advisory lock's key: "stbguest" in ASCII. */
    static final long LOCK_KEY = 0x7374626775657374L;

    private final DataSource dataSource;
    private Connection held;
    private volatile boolean closed;

    public Leadership(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Whether this instance should do the periodic work now: it holds the lock, or has just taken it. */
    public synchronized boolean isLeader() {
        if (closed) {
            return false;
        }
        if (held != null) {
            try {
                if (held.isValid(2)) {
                    return true;
                }
            } catch (SQLException e) {
                // fall through: the session is gone, and the lock with it
            }
            log.warn("event=leadership_lost reason=session_gone");
            closeQuietly(held);
            held = null;
        }
        Connection c = null;
        try {
            c = connect();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select pg_try_advisory_lock(" + LOCK_KEY + ")")) {
                if (rs.next() && rs.getBoolean(1)) {
                    held = c;
                    log.info("event=leadership_taken");
                    return true;
                }
            }
        } catch (SQLException | RuntimeException e) {
            log.debug("event=leadership_check_failed error={}", e.toString());
        }
        closeQuietly(c);
        return false;
    }

    /**
     * A connection of its own, outside the pool, where the pool says how (Hikari): held for as long as this instance
     * leads, it takes nothing from the requests' pool, and asking never waits for a pooled connection.
     */
    private Connection connect() throws SQLException {
        if (dataSource instanceof com.zaxxer.hikari.HikariDataSource h && h.getJdbcUrl() != null) {
            java.util.Properties p = new java.util.Properties();
            if (h.getUsername() != null) {
                p.setProperty("user", h.getUsername());
            }
            if (h.getPassword() != null) {
                p.setProperty("password", h.getPassword());
            }
            p.setProperty("connectTimeout", "5");
            p.setProperty("loginTimeout", "5");
            p.setProperty("socketTimeout", "10");
            p.setProperty("ApplicationName", "stb-leadership");
            return java.sql.DriverManager.getConnection(h.getJdbcUrl(), p);
        }
        return dataSource.getConnection();
    }

    /** Whether this instance held the lock at its last check (read only: never takes it). */
    public synchronized boolean holdsLease() {
        return held != null;
    }

    /** Lets go of the lock (on shutdown): another instance takes over at its next tick. */
    @Override
    public synchronized void destroy() {
        closed = true;
        if (held != null) {
            try (Statement st = held.createStatement()) {
                st.execute("select pg_advisory_unlock(" + LOCK_KEY + ")");
            } catch (SQLException e) {
                // closing the session releases it anyway
            }
            closeQuietly(held);
            held = null;
            log.info("event=leadership_released");
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // nothing more to do
            }
        }
    }
}
