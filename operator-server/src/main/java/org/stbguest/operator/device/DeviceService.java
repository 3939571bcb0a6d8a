package org.stbguest.operator.device;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.device.api.CheckIn;
import org.stbguest.device.api.Enrollment;
import org.stbguest.device.api.RoleStatus;
import org.stbguest.device.api.SlotStatus;
import org.stbguest.image.Digest;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.security.DevicePrincipal;
import org.stbguest.operator.security.DeviceTokenAuthenticator;
import org.stbguest.operator.web.ApiException;

/** The device registry: enrolment with per-device tokens, authentication, and what each device last reported. */
@Service
public class DeviceService implements DeviceTokenAuthenticator {

    private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Pattern MODEL = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DeviceRepository devices;
    private final DeviceRoleStateRepository states;
    private final AuditLog audit;
    private final Clock clock;

    private final int maxRoles;
    private final org.springframework.jdbc.core.simple.JdbcClient jdbc;
    private final org.springframework.jdbc.core.JdbcTemplate batch;
    private final CheckInWriter writer;

    /** The most rows of one attribute file. */
    public static final int MAX_IMPORT_ROWS = 10_000;

    /** What an attribute import did. */
    public record ImportResult(int rows, int updated) {
    }

    DeviceService(DeviceRepository devices, DeviceRoleStateRepository states, AuditLog audit, Clock clock,
                  org.stbguest.operator.StbProperties props, org.springframework.jdbc.core.simple.JdbcClient jdbc,
                  org.springframework.jdbc.core.JdbcTemplate batch,
                  org.springframework.transaction.PlatformTransactionManager transactions) {
        this.writer = new CheckInWriter(batch, transactions, props.limits().checkInWriteInterval());
        this.jdbc = jdbc;
        this.batch = batch;
        this.devices = devices;
        this.states = states;
        this.audit = audit;
        this.clock = clock;
        this.maxRoles = props.limits().maxRolesPerCheckIn();
    }

    /** Enrols a box; the returned token is shown once and stored only as a hash. */
    @Transactional
    public Enrollment enroll(String serial, String hardwareModel, String actor) {
        return enroll(serial, hardwareModel, null, actor);
    }

    /** Enrols a box of a subscriber account (optional; a call-center ticket may name the account). */
    @Transactional
    public Enrollment enroll(String serial, String hardwareModel, String account, String actor) {
        return enroll(serial, hardwareModel, account, null, List.of(), actor);
    }

    /**
     * Enrols a box with its optional subscriber account (a call-center ticket may name it), region and tags (a
     * rollout's filter may select on them).
     */
    @Transactional
    public Enrollment enroll(String serial, String hardwareModel, String account, String region, List<String> tags,
                             String actor) {
        if (region != null && !Target.NAME.matcher(region).matches()) {
            throw org.stbguest.operator.DomainException.invalid("invalid-region", "region must match "
                    + Target.NAME.pattern());
        }
        Target.checkTags(tags == null ? List.of() : tags);
        if (account != null && !SERIAL.matcher(account).matches()) {
            throw new ApiException.BadRequest("invalid-account", "account must match " + SERIAL.pattern());
        }
        if (serial == null || !SERIAL.matcher(serial).matches()) {
            throw new ApiException.BadRequest("invalid-serial", "serial must match " + SERIAL.pattern());
        }
        if (hardwareModel == null || !MODEL.matcher(hardwareModel).matches()) {
            throw new ApiException.BadRequest("invalid-model", "hardware model must match " + MODEL.pattern());
        }
        if (devices.existsBySerial(serial)) {
            throw new ApiException.Conflict("device-exists", "a device with serial " + serial + " is already enrolled");
        }
        String token = newToken();
        UUID id = UUID.randomUUID();
        DeviceEntity d = new DeviceEntity(id, serial, hardwareModel, hash(token), clock.instant(), account);
        d.describe(null, region, tags == null ? List.of() : List.copyOf(new java.util.LinkedHashSet<>(tags)));
        devices.save(d);
        audit.record(actor, "device.enroll", "device/" + id, "serial=" + serial + " model=" + hardwareModel);
        return new Enrollment(id, serial, hardwareModel, token);
    }

    /**
     * A box enrolling itself with the fleet enrolment secret. A serial already enrolled is refused (409), so the
     * secret cannot take over a box in service, with one exception: a box of the same model that never checked in
     * gets a new token (the old one stops working at once), because a box that lost the answer to its first enrolment
     * (a power cut before it saved its token) must be able to ask again.
     */
    @Transactional
    public Enrollment enrollByFleet(String serial, String hardwareModel, String account, String region,
                                    List<String> tags) {
        flushCheckIns(); // "never checked in" must count a check-in still queued for the batch write
        var existing = serial == null ? java.util.Optional.<DeviceEntity>empty() : devices.findBySerial(serial);
        if (existing.isEmpty()) {
            return enroll(serial, hardwareModel, account, region, tags, FLEET_ENROLMENT);
        }
        DeviceEntity d = existing.get();
        if (d.lastCheckIn() != null || !d.hardwareModel().equals(hardwareModel)) {
            audit.recordRefusal(FLEET_ENROLMENT, "device.enroll-refused", "device/" + d.id(), "serial=" + serial
                    + " reason=" + (d.lastCheckIn() != null ? "in-service" : "other-model"));
            throw new ApiException.Conflict("device-exists", "a device with serial " + serial
                    + " is already enrolled" + (d.lastCheckIn() != null ? " and has checked in" : " as another model")
                    + "; an operator must re-enrol it");
        }
        String token = newToken();
        d.replaceToken(hash(token));
        devices.save(d);
        audit.record(FLEET_ENROLMENT, "device.re-enroll", "device/" + d.id(), "serial=" + serial
                + " reason=never-checked-in");
        return new Enrollment(d.id(), serial, hardwareModel, token);
    }

    /** The actor the audit log names for self-enrolment with the fleet secret. */
    public static final String FLEET_ENROLMENT = "fleet-enrolment";

    private static String newToken() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return "stbd_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /**
     * Sets the subscriber account, region and tags of enrolled boxes from a CSV file: header {@code serial} and any of
     * {@code account}, {@code region}, {@code tags} (tags separated by {@code ;}). A column the header leaves out is
     * left as it is; an empty cell clears it. All or none: every row is checked first (the serial enrolled, the values
     * well formed, no serial twice) and a bad row is a clear error naming it, with nothing changed.
     */
    @Transactional
    public ImportResult importAttributes(String csv, String actor) {
        List<List<String>> rows = org.stbguest.operator.Csv.parse(csv, MAX_IMPORT_ROWS + 2);
        if (rows.isEmpty()) {
            throw org.stbguest.operator.DomainException.invalid("invalid-csv", "the file is empty; a header row is required");
        }
        List<String> header = rows.get(0).stream().map(h -> h.trim().toLowerCase(java.util.Locale.ROOT)).toList();
        List<String> known = List.of("serial", "account", "region", "tags");
        if (!header.contains("serial") || header.size() < 2 || !known.containsAll(header)
                || new java.util.HashSet<>(header).size() != header.size()) {
            throw org.stbguest.operator.DomainException.invalid("invalid-csv", "the header must name serial and one "
                    + "or more of account, region, tags, each once, got " + header);
        }
        if (rows.size() > MAX_IMPORT_ROWS + 1) {
            throw org.stbguest.operator.DomainException.invalid("invalid-csv", "at most " + MAX_IMPORT_ROWS
                    + " rows per file");
        }
        int serialAt = header.indexOf("serial");
        java.util.Set<String> serials = new java.util.HashSet<>();
        List<Object[]> updates = new java.util.ArrayList<>(rows.size() - 1);
        List<String> columns = header.stream().filter(h -> !h.equals("serial")).toList();
        for (int i = 1; i < rows.size(); i++) {
            List<String> row = rows.get(i);
            String where = "row " + (i + 1) + ": ";
            if (row.size() != header.size()) {
                throw org.stbguest.operator.DomainException.invalid("invalid-csv-row", where + "has " + row.size()
                        + " fields, the header " + header.size() + "; nothing was changed");
            }
            String serial = row.get(serialAt).trim();
            if (!SERIAL.matcher(serial).matches() || !serials.add(serial)) {
                throw org.stbguest.operator.DomainException.invalid("invalid-csv-row", where + "serial '" + serial
                        + "' is malformed or repeated; nothing was changed");
            }
            Object[] values = new Object[columns.size() + 1];
            for (int c = 0; c < columns.size(); c++) {
                String v = row.get(header.indexOf(columns.get(c))).trim();
                try {
                    values[c] = switch (columns.get(c)) {
                        case "account" -> {
                            if (!v.isEmpty() && !SERIAL.matcher(v).matches()) {
                                throw org.stbguest.operator.DomainException.invalid("invalid-account",
                                        "account must match " + SERIAL.pattern());
                            }
                            yield v.isEmpty() ? null : v;
                        }
                        case "region" -> {
                            if (!v.isEmpty() && !Target.NAME.matcher(v).matches()) {
                                throw org.stbguest.operator.DomainException.invalid("invalid-region",
                                        "region must match " + Target.NAME.pattern());
                            }
                            yield v.isEmpty() ? null : v;
                        }
                        default -> {
                            List<String> tags = v.isEmpty() ? List.of() : java.util.Arrays.stream(v.split(";"))
                                    .map(String::trim).distinct().toList();
                            Target.checkTags(tags);
                            yield String.join(";", tags);
                        }
                    };
                } catch (org.stbguest.operator.DomainException e) {
                    throw org.stbguest.operator.DomainException.invalid("invalid-csv-row", where + e.getMessage()
                            + "; nothing was changed");
                }
            }
            values[columns.size()] = serial;
            updates.add(values);
        }
        // every serial must be enrolled: the unknown ones are named (up to ten)
        List<String> all = List.copyOf(serials);
        java.util.Set<String> found = new java.util.HashSet<>();
        for (int from = 0; from < all.size(); from += 1000) {
            found.addAll(jdbc.sql("select serial from device where serial in (:s)")
                    .param("s", all.subList(from, Math.min(all.size(), from + 1000))).query(String.class).list());
        }
        if (found.size() != all.size()) {
            List<String> unknown = new java.util.ArrayList<>();
            for (int i = 1; i < rows.size() && unknown.size() < 10; i++) {
                String serial = rows.get(i).get(serialAt).trim();
                if (!found.contains(serial)) {
                    unknown.add("row " + (i + 1) + " (" + serial + ")");
                }
            }
            throw org.stbguest.operator.DomainException.invalid("unknown-device", "no device is enrolled with the "
                    + "serial of " + String.join(", ", unknown) + "; nothing was changed");
        }
        String set = String.join(", ", columns.stream().map(c -> c.equals("tags")
                ? "tags = string_to_array(?, ';')" : c + " = ?").toList());
        int updated = 0;
        for (int n : batch.batchUpdate("update device set " + set + " where serial = ?", updates)) {
            updated += Math.max(0, n);
        }
        audit.record(actor, "device.import", "devices", "rows=" + updates.size() + " columns=" + columns);
        return new ImportResult(updates.size(), updated);
    }

    /**
     * The device owning {@code token}, with the attributes a rollout's filter reads and the generation of the
     * rollout material: one statement, outside any transaction (a check-in's only round trip to the database).
     */
    @Override
    public Optional<DevicePrincipal> authenticate(String token) {
        if (token == null || token.isEmpty() || token.length() > 200) {
            return Optional.empty();
        }
        return batch.query("""
                        select d.id, d.hardware_model, d.serial, d.region, d.tags, g.value
                        from device d cross join config_generation g where d.token_hash = ?""",
                (rs, n) -> {
                    java.sql.Array tags = rs.getArray(5);
                    List<String> tagList = tags == null ? List.of() : List.of((String[]) tags.getArray());
                    return new DevicePrincipal(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                            rs.getString(4), tagList, rs.getLong(6));
                }, hash(token)).stream().findFirst();
    }

    /**
     * Records what a device reports at check-in: at most {@code maxRolesPerCheckIn} roles, each named as an image
     * role is, each once.
     */
    public void recordCheckIn(UUID deviceId, CheckIn checkIn) {
        if (checkIn.roles().size() > maxRoles) {
            throw new ApiException.BadRequest("invalid-check-in", "a check-in may describe at most " + maxRoles
                    + " roles, this one has " + checkIn.roles().size());
        }
        if (checkIn.statements().size() > CheckIn.MAX_STREAMS) {
            throw new ApiException.BadRequest("invalid-check-in", "a check-in may name at most "
                    + CheckIn.MAX_STREAMS + " statement streams");
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<CheckInWriter.RoleRow> rows = new java.util.ArrayList<>();
        for (RoleStatus r : checkIn.roles()) {
            if (!MODEL.matcher(r.role()).matches() || !seen.add(r.role())) {
                throw new ApiException.BadRequest("invalid-check-in", "roles must match " + MODEL.pattern()
                        + " and appear once each");
            }
            if (r.slots().size() > 2) {
                throw new ApiException.BadRequest("invalid-check-in", "a role has at most two slots");
            }
            String active = r.activeDigest() == null ? null : r.activeDigest().hex();
            String other = r.slots().stream()
                    .filter(slot -> slot.digest() != null && slot.slot() != r.activeSlot())
                    .map(SlotStatus::digest).map(Digest::hex).findFirst().orElse(null);
            rows.add(new CheckInWriter.RoleRow(r.role(), active, other));
        }
        writer.queue(deviceId, new CheckInWriter.Pending(clock.instant(), rows));
    }

    /**
     * Writes the check-in states queued so far (they are written in batches, every
     * {@code stb.limits.check-in-write-interval}): called before anything that counts what boxes run or hold.
     */
    public void flushCheckIns() {
        writer.flush();
    }

    /** Check-in states queued for the next batch write. */
    public int queuedCheckIns() {
        return writer.queued();
    }

    @jakarta.annotation.PreDestroy
    void stopWriting() {
        writer.close();
    }

    /** How many boxes a rollout targets. */
    @Transactional(readOnly = true)
    public long countTargets(Target target) {
        Target.Sql t = target.sql("d");
        return jdbc.sql("select count(*) from device d where " + t.condition()).params(t.params())
                .query(Long.class).single();
    }

    /** Devices of these models: the targets of an image built for them, with no filter. */
    @Transactional(readOnly = true)
    public long countTargets(Collection<String> models) {
        return countTargets(Target.of(models));
    }

    /** Whether a box is one of {@code target}'s. */
    @Transactional(readOnly = true)
    public boolean isTarget(UUID deviceId, Target target) {
        return devices.findById(deviceId)
                .map(d -> target.matches(d.hardwareModel(), d.region(), d.tags(), d.serial())).orElse(false);
    }

    /**
     * Applies what a box reports at once, so a rollout's counters move with the reports and not only with the next
     * check-in: STAGED puts the image in its other slot, ACTIVATED and ROLLED_BACK make it the running one. The next check-in's
     * full state overwrites whatever a lost or reordered report left behind.
     */
    @Transactional
    public void applyReport(UUID deviceId, org.stbguest.device.api.DeviceReport report) {
        if (report.digest() == null || !MODEL.matcher(report.role()).matches()) {
            return;
        }
        // upserts, not read-then-write: the batched check-in writer may insert the same row at the same moment
        switch (report.type()) {
            case STAGED -> jdbc.sql("""
                            insert into device_role_state (device_id, role, active_digest, staged_digest, updated_at)
                            values (:id, :role, null, :digest, :at)
                            on conflict (device_id, role) do update
                                set staged_digest = excluded.staged_digest, updated_at = excluded.updated_at
                                where device_role_state.active_digest is distinct from excluded.staged_digest""")
                    .param("id", deviceId).param("role", report.role()).param("digest", report.digest().hex())
                    .param("at", java.sql.Timestamp.from(clock.instant())).update();
            case ACTIVATED, ROLLED_BACK -> jdbc.sql("""
                            insert into device_role_state (device_id, role, active_digest, staged_digest, updated_at)
                            values (:id, :role, :digest, null, :at)
                            on conflict (device_id, role) do update
                                set staged_digest = device_role_state.active_digest,
                                    active_digest = excluded.active_digest, updated_at = excluded.updated_at
                                where device_role_state.active_digest is distinct from excluded.active_digest""")
                    .param("id", deviceId).param("role", report.role()).param("digest", report.digest().hex())
                    .param("at", java.sql.Timestamp.from(clock.instant())).update();
            case STAGE_FAILED, BOOT_FAILED, REFUSED, CRASHED -> {
                // what the box runs and holds is unchanged
            }
        }
    }

    /** The ids of a rollout's targets (to place them in its waves). */
    @Transactional(readOnly = true)
    public List<UUID> targetIds(Target target) {
        Target.Sql t = target.sql("d");
        return jdbc.sql("select d.id from device d where " + t.condition()).params(t.params()).query(UUID.class).list();
    }

    /** Target devices running {@code digest} for {@code role}. */
    @Transactional(readOnly = true)
    public long countRunning(String role, Digest digest, Target target) {
        return countInState(role, digest, target, "s.active_digest = :digest");
    }

    /** Target devices holding {@code digest} for {@code role} in either slot. */
    @Transactional(readOnly = true)
    public long countHolding(String role, Digest digest, Target target) {
        return countInState(role, digest, target, "(s.active_digest = :digest or s.staged_digest = :digest)");
    }

    private long countInState(String role, Digest digest, Target target, String condition) {
        flushCheckIns();
        Target.Sql t = target.sql("d");
        return jdbc.sql("select count(*) from device_role_state s join device d on d.id = s.device_id "
                        + "where s.role = :role and " + condition + " and " + t.condition())
                .params(t.params()).param("role", role).param("digest", digest.hex()).query(Long.class).single();
    }

    /** How many devices run each image of a role (null key: none). */
    @Transactional(readOnly = true)
    public Map<String, Long> versionMix(String role) {
        flushCheckIns();
        Map<String, Long> mix = new LinkedHashMap<>();
        for (Object[] row : states.versionMix(role)) {
            mix.put((String) row[0], (Long) row[1]);
        }
        return mix;
    }

    @Transactional(readOnly = true)
    public Optional<DeviceView> find(UUID id) {
        flushCheckIns();
        return devices.findById(id).map(this::view);
    }

    /** Whether any box belongs to this subscriber account. */
    @Transactional(readOnly = true)
    public boolean accountExists(String account) {
        return devices.existsByAccount(account);
    }

    @Transactional(readOnly = true)
    public Optional<DeviceView> findBySerial(String serial) {
        return devices.findBySerial(serial).map(this::view);
    }

    @Transactional(readOnly = true)
    public List<DeviceView> list() {
        flushCheckIns();
        return devices.findAll().stream().map(this::view).toList();
    }

    private DeviceView view(DeviceEntity d) {
        Map<String, String> active = new LinkedHashMap<>();
        for (DeviceRoleState s : states.findByKeyDeviceId(d.id())) {
            active.put(s.key().role(), s.activeDigest());
        }
        return new DeviceView(d.id(), d.serial(), d.hardwareModel(), d.enrolledAt(), d.lastCheckIn(), active,
                d.account(), d.region(), d.tags());
    }

    static String hash(String token) {
        return Digest.sha256(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hex();
    }
}
