package org.stbguest.operator;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Server settings ({@code stb.*}, or environment variables such as {@code STB_DATA_DIR}).
 *
 * @param dataDir         where the embedded PostgreSQL, chunks and keys live
 * @param maxImageSize    uploads above this get HTTP 413
 * @param checkInInterval how often boxes are told to check in
 * @param rolloutTick     how often rollouts are advanced and the guard looks
 * @param broadcastFor    how long the distributor repeats a wave's or a rollback's activation on the control group
 * @param multicast       data group, port base, symbol size, erasure-code block size and proactive repair ratio,
 *                        and rate given to transmissions
 */
@ConfigurationProperties("stb")
public record StbProperties(
        @DefaultValue("./data") Path dataDir,
        @DefaultValue("2GB") DataSize maxImageSize,
        @DefaultValue("60s") Duration checkInInterval,
        @DefaultValue("2s") Duration rolloutTick,
        @DefaultValue("10m") Duration broadcastFor,
        @DefaultValue Multicast multicast,
        @DefaultValue Keys keys,
        @DefaultValue Limits limits,
        @DefaultValue Guard guard) {

    /**
     * The sequential complaint guard.
     *
     * @param interval           how often it evaluates every live rollout
     * @param alpha              the largest share of healthy rollouts it may halt over {@code life}
     * @param r1                 the worst acceptable ratio of the new cohort's complaint rate to the old cohort's
     * @param life               how long a rollout is guarded (the span alpha holds over)
     * @param baselinePerBoxHour the complaint rate of a healthy box assumed when calibrating; the rate observed over
     *                           the last week is used instead when it is higher
     * @param calibrationRuns    simulated healthy lives per calibration of a rollout's CUSUM
     */
    public record Guard(@DefaultValue("60s") Duration interval,
                        @DefaultValue("0.001") double alpha,
                        @DefaultValue("2") double r1,
                        @DefaultValue("7d") Duration life,
                        @DefaultValue("0.0001") double baselinePerBoxHour,
                        @DefaultValue("60000") int calibrationRuns) {
    }

    /**
     * Bounds on what clients may send, so that no input is stored without bound or answered with a 5xx.
     *
     * @param maxJsonBody          the largest request body of any endpoint but the image upload
     * @param maxRolesPerCheckIn   guest roles one check-in may describe
     * @param reportsPerMinute     reports one device may send per minute (more get 429)
     * @param ticketMaxAge         how far back a ticket's {@code openedAt} may lie
     * @param ticketMaxClockSkew   how far ahead of the server's clock a ticket's {@code openedAt} may lie
     * @param loginFailures        failed logins of one account within {@code loginWindow} before it is locked
     * @param loginWindow          the window failures are counted in, and how long an account stays locked
     * @param checkInsPerMinute    check-ins one device may make per minute, with a burst of as many (more get 429
     *                             with Retry-After); by device, never by address, since boxes share NAT addresses
     * @param checkInWriteInterval how often the states boxes report at check-in are written, in one batch
     */
    public record Limits(@DefaultValue("1MB") DataSize maxJsonBody,
                         @DefaultValue("16") int maxRolesPerCheckIn,
                         @DefaultValue("120") int reportsPerMinute,
                         @DefaultValue("30d") Duration ticketMaxAge,
                         @DefaultValue("5m") Duration ticketMaxClockSkew,
                         @DefaultValue("5") int loginFailures,
                         @DefaultValue("60s") Duration loginWindow,
                         @DefaultValue("120") int checkInsPerMinute,
                         @DefaultValue("250ms") Duration checkInWriteInterval) {
    }

    /** Multicast parameters handed to the distributor and to boxes. */
    public record Multicast(@DefaultValue("239.255.42.2") String dataGroup,
                            @DefaultValue("42000") int dataPortBase,
                            @DefaultValue("1456") int symbolSize,
                            @DefaultValue("64") int blockSymbols,
                            @DefaultValue("0.05") double repairRatio,
                            @DefaultValue("100000000") long rateBitsPerSecond) {
    }

    /**
     * Server-side signing keys.
     *
     * @param passphrase        encrypts the server's keys at rest; when empty a random one is created in
     *                          {@code <data-dir>/keys/passphrase} (development only: set {@code STB_KEYS_PASSPHRASE})
     * @param keySetValidity    lifetime of the development key set the server creates for itself
     * @param statementValidity lifetime of director statements; they are re-signed when half of it is gone
     */
    public record Keys(@DefaultValue("") String passphrase,
                       @DefaultValue("365d") Duration keySetValidity,
                       @DefaultValue("7d") Duration statementValidity) {

        @Override
        public String toString() {
            return "Keys[passphrase=***]";
        }
    }
}
