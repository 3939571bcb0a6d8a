package org.stbguest.operator.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.orm.jpa.JpaSystemException;

/** The failures a database going away leaves behind are 503s; other generic failures stay server errors. */
class ProblemDetailsAdviceTest {

    private final ProblemDetailsAdvice advice = new ProblemDetailsAdvice();

    @Test
    void aRollbackOnAConnectionThePoolClosedIsTheDatabaseBeingAway() {
        // what DatabaseFaultTest met: the read failed (57P01), Hibernate answered "not found", the rollback then
        // failed on the connection HikariCP had closed, whose exception carries no SQLSTATE
        SQLException closed = new SQLException("Connection is closed");
        closed.setStackTrace(new StackTraceElement[] {new StackTraceElement(
                "com.zaxxer.hikari.pool.ProxyConnection$ClosedConnection", "lambda$getClosedConnection$0",
                "ProxyConnection.java", 559)});
        ResponseEntity<ProblemDetail> r = advice.connectionLost(new JpaSystemException(
                new RuntimeException("Unable to rollback against JDBC Connection", closed)));
        assertThat(r.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(r.getHeaders().getFirst("Retry-After")).isEqualTo("5");
        assertThat(r.getBody().getProperties()).containsEntry("code", "database-unavailable");
    }

    @Test
    void aConnectionFailureSqlStateAnywhereInTheChainIsTheDatabaseBeingAway() {
        for (String state : new String[] {"08006", "08003", "57P01", "57P03"}) {
            ResponseEntity<ProblemDetail> r = advice.connectionLost(new JpaSystemException(
                    new RuntimeException(new SQLException("terminating connection", state))));
            assertThat(r.getStatusCode()).as(state).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        }
    }

    @Test
    void otherGenericFailuresAreNotPassedOffAsAnOutage() {
        JpaSystemException syntax = new JpaSystemException(
                new RuntimeException(new SQLException("syntax error", "42601")));
        assertThatThrownBy(() -> advice.connectionLost(syntax)).isSameAs(syntax);
        // the same words from elsewhere than the pool's closed connection are not taken on trust
        JpaSystemException elsewhere = new JpaSystemException(
                new RuntimeException(new SQLException("Connection is closed")));
        assertThatThrownBy(() -> advice.connectionLost(elsewhere)).isSameAs(elsewhere);
    }
}
