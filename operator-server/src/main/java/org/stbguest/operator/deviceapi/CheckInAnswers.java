package org.stbguest.operator.deviceapi;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.jdbc.core.JdbcTemplate;
import org.stbguest.device.api.CheckIn;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.RoleStatus;
import org.stbguest.image.trust.SignedKeySet;
import org.stbguest.device.api.SlotStatus;
import org.stbguest.image.Digest;
import org.stbguest.image.trust.SignedStatement;
import org.stbguest.operator.StbProperties;
import org.stbguest.operator.rollout.DirectiveTable;
import org.stbguest.operator.rollout.RolloutService;
import org.stbguest.operator.security.DevicePrincipal;
import org.stbguest.operator.trust.DirectorService;
import org.stbguest.operator.trust.KeySetService;

/**
 * Answers check-ins from memory. What an answer is made of (the rollouts with their images and transmissions, the
 * key-set chain, the newest statements) is read in one consistent snapshot and kept, tagged with the generation of
 * that material ({@code config_generation}, bumped by triggers at the commit of any change to it). Each check-in's
 * one query (its token) also reads the current generation; a newer one than the snapshot's makes the first
 * check-in to see it read the material again. So a change made through any server instance reaches the next
 * check-in at every instance, and in the steady state a check-in costs one round trip to PostgreSQL.
 *
 * <p>The answer leaves out what the box says it has: key sets up to its version, statements up to the sequence
 * numbers it names, and the manifest of an image one of its slots holds.
 */
@Service
public class CheckInAnswers {

    /** What answers are made of, at one generation. */
    record Snapshot(long generation, DirectiveTable table, List<KeySetService.Versioned> keySets,
                    Map<String, DirectorService.Sequenced> statements) {
    }

    private final RolloutService rollouts;
    private final KeySetService keySets;
    private final DirectorService director;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate snapshotTx;
    private final StbProperties props;
    private volatile Snapshot snapshot;
    private final Object rebuilding = new Object();
    private volatile long rebuilds;

    CheckInAnswers(RolloutService rollouts, KeySetService keySets, DirectorService director, JdbcTemplate jdbc,
                   PlatformTransactionManager transactions, StbProperties props) {
        this.rollouts = rollouts;
        this.keySets = keySets;
        this.director = director;
        this.jdbc = jdbc;
        this.props = props;
        this.snapshotTx = new TransactionTemplate(transactions);
        snapshotTx.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
        snapshotTx.setReadOnly(true);
    }

    /** The answer to {@code checkIn} from {@code device} (already authenticated, its state already queued). */
    public DesiredState answer(DevicePrincipal device, CheckIn checkIn) {
        Snapshot s = snapshotAt(device.generation());
        Map<String, java.util.Set<Digest>> held = new HashMap<>();
        for (RoleStatus r : checkIn.roles()) {
            for (SlotStatus slot : r.slots()) {
                if (slot.digest() != null) {
                    held.computeIfAbsent(r.role(), k -> new java.util.HashSet<>()).add(slot.digest());
                }
            }
        }
        var directives = s.table().directivesFor(device,
                (role, digest) -> held.getOrDefault(role, java.util.Set.of()).contains(digest));
        List<SignedStatement> statements = new ArrayList<>();
        for (String stream : directives.statementStreams()) {
            DirectorService.Sequenced st = s.statements().get(stream);
            if (st != null && checkIn.statements().getOrDefault(stream, 0L) < st.sequence()) {
                statements.add(st.signed());
            }
        }
        List<SignedKeySet> newer = new ArrayList<>();
        for (KeySetService.Versioned k : s.keySets()) {
            if (k.version() > checkIn.keySetVersion()) {
                newer.add(k.signed());
            }
        }
        return new DesiredState(newer, statements, directives.roles(), nextCheckInMillis());
    }

    /** The interval to the next check-in: the configured one, spread by ±10% so a fleet's check-ins do not bunch. */
    long nextCheckInMillis() {
        long base = props.checkInInterval().toMillis();
        return Math.max(1, Math.round(base * (0.9 + 0.2 * ThreadLocalRandom.current().nextDouble())));
    }

    /** Times the material was read (tests, metrics). */
    public long rebuilds() {
        return rebuilds;
    }

    private Snapshot snapshotAt(long generation) {
        Snapshot s = snapshot;
        if (s != null && s.generation() >= generation) {
            return s;
        }
        synchronized (rebuilding) { // one reader of the material per instance; the others wait for its result
            s = snapshot;
            if (s != null && s.generation() >= generation) {
                return s;
            }
            keySets.currentSigned(); // the first key set is made on first use, outside the read-only snapshot
            Snapshot built = snapshotTx.execute(tx -> {
                long at = jdbc.queryForObject("select value from config_generation where id = 1", Long.class);
                DirectiveTable table = rollouts.directiveTable();
                Map<String, DirectorService.Sequenced> latest = new HashMap<>();
                director.latestSequenced(table.streams()).forEach(st -> latest.put(st.stream(), st));
                return new Snapshot(at, table, keySets.versionedChain(), Map.copyOf(latest));
            });
            snapshot = built;
            rebuilds++;
            return built;
        }
    }
}
