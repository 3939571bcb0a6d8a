package org.stbguest.operator.telemetry;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.stbguest.operator.Csv;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.image.Digest;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.device.DeviceService;
import org.stbguest.operator.device.DeviceView;
import org.stbguest.operator.web.ApiException;

/** Takes in what boxes report and what the call center says, and counts it for the guard. */
@Service
public class TelemetryService {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TelemetryService.class);

    /**
     * A ticket as the call-center system posts it: a device by id or by serial, a category, when it was opened, and
     * the call center's own ticket id, which makes a retried post idempotent.
     */
    public record TicketRequest(UUID deviceId, String serial, String category, Instant openedAt, String externalId,
                                String account) {

        /** A ticket naming a box (by id or serial), not an account. */
        public TicketRequest(UUID deviceId, String serial, String category, Instant openedAt, String externalId) {
            this(deviceId, serial, category, openedAt, externalId, null);
        }
    }

    /**
     * The stored ticket's id; whether this post was a repeat of one already stored under the same external id; and
     * whether it named a box the server knows (an unknown one is kept, unmatched, and counted).
     */
    public record TicketResult(long id, boolean duplicate, boolean matched) {
    }

    /** What a CSV upload stored. */
    public record CsvResult(int rows, int stored, int duplicates, int unmatched) {
    }

    private static final java.util.regex.Pattern CATEGORY = java.util.regex.Pattern.compile("[A-Za-z0-9._:, -]{1,64}");
    private static final java.util.regex.Pattern EXTERNAL_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._:/#-]{1,128}");
    private static final java.util.regex.Pattern ROLE = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private final DeviceEventRepository events;
    private final TicketRepository tickets;
    private final DeviceService devices;
    private final AuditLog audit;
    private final Clock clock;

    private final org.springframework.jdbc.core.simple.JdbcClient jdbc;
    private final org.stbguest.operator.StbProperties.Limits limits;
    private final org.stbguest.operator.security.DeviceRateLimiter reportRate;
    private final org.springframework.jdbc.core.JdbcTemplate batch;
    private final io.micrometer.core.instrument.MeterRegistry meters;

    TelemetryService(DeviceEventRepository events, TicketRepository tickets, DeviceService devices, AuditLog audit,
                     Clock clock, org.springframework.jdbc.core.simple.JdbcClient jdbc,
                     org.springframework.jdbc.core.JdbcTemplate batch, org.stbguest.operator.StbProperties props,
                     io.micrometer.core.instrument.MeterRegistry meters) {
        this.meters = meters;
        this.batch = batch;
        this.events = events;
        this.tickets = tickets;
        this.devices = devices;
        this.audit = audit;
        this.clock = clock;
        this.jdbc = jdbc;
        this.limits = props.limits();
        this.reportRate = new org.stbguest.operator.security.DeviceRateLimiter(limits.reportsPerMinute(), clock);
    }

    /** The most reports one batch may carry. */
    public static final int MAX_BATCH = 500;

    /**
     * Stores a batch of a device's reports in one multi-row insert (a box that was offline sends its backlog at
     * once). The device's rate limit counts requests, not reports: a batch is one request of at most
     * {@link #MAX_BATCH} reports.
     */
    @Transactional
    public int recordReports(UUID deviceId, List<DeviceReport> reports) {
        if (reports.isEmpty() || reports.size() > MAX_BATCH) {
            throw new ApiException.BadRequest("invalid-report", "a batch has 1 to " + MAX_BATCH + " reports, this one "
                    + reports.size());
        }
        for (DeviceReport r : reports) {
            if (r == null || !ROLE.matcher(r.role()).matches()) {
                throw new ApiException.BadRequest("invalid-report", "every report needs a role matching " + ROLE.pattern());
            }
        }
        if (!reportRate.tryAcquire(deviceId)) {
            throw new ApiException.TooManyRequests("too-many-reports", "device " + deviceId + " sent more than "
                    + limits.reportsPerMinute() + " report requests in a minute");
        }
        java.sql.Timestamp now = java.sql.Timestamp.from(clock.instant());
        int n = reports.size();
        String[] type = new String[n], role = new String[n], digest = new String[n], slot = new String[n],
                detail = new String[n];
        UUID[] id = new UUID[n];
        for (int i = 0; i < n; i++) {
            DeviceReport r = reports.get(i);
            type[i] = r.type().name();
            role[i] = r.role();
            digest[i] = r.digest() == null ? null : r.digest().hex();
            slot[i] = r.slot() == null ? null : r.slot().name();
            detail[i] = r.detail();
            id[i] = r.id();
        }
        // one statement for the batch; a report whose id this device sent before (its acknowledgement was lost) is
        // not stored again, and only what is stored moves the device's state and the counters
        List<UUID> stored = batch.execute((java.sql.Connection c) -> {
            try (var ps = c.prepareStatement("""
                    insert into device_event (device_id, type, role, digest, slot, detail, occurred_at, report_id)
                    select ?, r.type, r.role, r.digest, r.slot, r.detail, ?, r.id
                    from unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::text[], ?::uuid[])
                        with ordinality as r(type, role, digest, slot, detail, id, n)
                    order by r.n
                    on conflict (device_id, report_id) where report_id is not null do nothing
                    returning report_id""")) {
                ps.setObject(1, deviceId);
                ps.setTimestamp(2, now);
                ps.setArray(3, c.createArrayOf("varchar", type));
                ps.setArray(4, c.createArrayOf("varchar", role));
                ps.setArray(5, c.createArrayOf("varchar", digest));
                ps.setArray(6, c.createArrayOf("varchar", slot));
                ps.setArray(7, c.createArrayOf("text", detail));
                ps.setArray(8, c.createArrayOf("uuid", id));
                List<UUID> rows = new java.util.ArrayList<>(n);
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(rs.getObject(1, UUID.class));
                    }
                }
                return rows;
            }
        });
        int repeated = n - stored.size();
        java.util.Set<UUID> fresh = new java.util.HashSet<>(stored); // rows are inserted in order: the first of a
        for (DeviceReport r : reports) {                            // repeated id is the one stored
            if (r.id() != null && !fresh.remove(r.id())) {
                continue; // stored before
            }
            if (r.type() == org.stbguest.device.api.ReportType.STAGED
                    || r.type() == org.stbguest.device.api.ReportType.ACTIVATED
                    || r.type() == org.stbguest.device.api.ReportType.ROLLED_BACK) {
                devices.applyReport(deviceId, r);
            }
            meters.counter("stb.reports", "type", r.type().name()).increment();
        }
        if (repeated > 0) {
            meters.counter("stb.reports.repeated").increment(repeated);
            log.debug("event=reports_repeated device={} repeated={}", deviceId, repeated);
        }
        return stored.size();
    }

    /**
     * Stores one report of a device: a batch of one ({@link #recordReports}). Each device may send
     * {@code reportsPerMinute} report requests; more are refused with 429 (the box sends the same state with its
     * next check-in, so nothing is lost for good).
     */
    @Transactional
    public void recordReport(UUID deviceId, DeviceReport report) {
        recordReports(deviceId, List.of(report));
    }

    /**
     * Records a ticket; the device must be known and {@code openedAt} must lie between {@code ticketMaxAge} ago and
     * {@code ticketMaxClockSkew} ahead of the server's clock (a ticket dated in 2099 would count against every
     * rollout to come). A ticket whose external id is already stored is not stored again: the first one's id is
     * returned, so a call center that retries a post counts once.
     */
    @Transactional
    public TicketResult recordTicket(TicketRequest req, String actor) {
        Instant now = clock.instant();
        validate(req, now);
        Instant opened = req.openedAt() == null ? now : req.openedAt();
        if (req.externalId() != null) {
            var existing = tickets.findByExternalId(req.externalId());
            if (existing.isPresent()) {
                return new TicketResult(existing.get().id(), true, existing.get().matched());
            }
        }
        if (req.deviceId() == null && (req.serial() == null || req.serial().isBlank()) && req.account() == null) {
            throw new ApiException.BadRequest("invalid-ticket", "a ticket must name a device by deviceId or serial, "
                    + "or a subscriber account");
        }
        boolean byAccount = req.deviceId() == null && (req.serial() == null || req.serial().isBlank());
        java.util.Optional<DeviceView> device = req.deviceId() != null ? devices.find(req.deviceId())
                : byAccount ? java.util.Optional.empty() : devices.findBySerial(req.serial());
        boolean matched = byAccount ? devices.accountExists(req.account()) : device.isPresent();
        String subject = req.deviceId() != null ? req.deviceId().toString() : byAccount ? "account/" + req.account()
                : req.serial();
        // on conflict: a concurrent retry of the same ticket got in first; answer with its id
        var inserted = jdbc.sql("""
                        insert into ticket (device_id, category, external_id, opened_at, received_at, subject, matched,
                            account)
                        values (:device, :category, :external, :opened, :received, :subject, :matched, :account)
                        on conflict (external_id) do nothing returning id""")
                .param("device", device.map(DeviceView::id).orElse(null)).param("category", req.category())
                .param("external", req.externalId()).param("opened", java.sql.Timestamp.from(opened))
                .param("received", java.sql.Timestamp.from(now)).param("subject", subject)
                .param("matched", matched).param("account", byAccount ? req.account() : null)
                .query(Long.class).optional();
        if (inserted.isEmpty()) {
            Ticket first = tickets.findByExternalId(req.externalId()).orElseThrow();
            return new TicketResult(first.id(), true, first.matched());
        }
        if (!matched) {
            log.info("event=ticket_unmatched id={} subject=\"{}\"", inserted.get(), subject);
        }
        audit.record(actor, "ticket.create", device.map(d -> "device/" + d.id()).orElse("unmatched/" + subject),
                "category=" + req.category() + (req.externalId() == null ? "" : " external_id=" + req.externalId()));
        meters.counter("stb.tickets", "source", "json", "matched", Boolean.toString(matched)).increment();
        return new TicketResult(inserted.get(), false, matched);
    }

    /** The most rows one CSV upload may have. */
    public static final int MAX_CSV_ROWS = 10_000;

    /**
     * Tickets from a CSV file (header {@code external_id,serial,device_id,category,opened_at}, in any order; unknown
     * columns ignored), all or none: a bad row is a clear error naming it and nothing of the file is stored, so
     * the call center fixes the row and sends the file again (the rows already stored are skipped then as repeats
     * of their external ids).
     */
    @Transactional
    public CsvResult importCsv(String csv, String actor) {
        List<List<String>> rows = Csv.parse(csv, MAX_CSV_ROWS + 1);
        if (rows.isEmpty()) {
            throw new ApiException.BadRequest("invalid-csv", "the file is empty; a header row is required");
        }
        List<String> header = rows.get(0).stream().map(h -> h.trim().toLowerCase(java.util.Locale.ROOT)).toList();
        int category = header.indexOf("category");
        if (category < 0 || header.indexOf("serial") < 0 && header.indexOf("device_id") < 0
                && header.indexOf("account") < 0) {
            throw new ApiException.BadRequest("invalid-csv", "the header must name category and serial, device_id "
                    + "or account, got " + header);
        }
        if (rows.size() > MAX_CSV_ROWS + 1) {
            throw new ApiException.BadRequest("invalid-csv", "at most " + MAX_CSV_ROWS + " rows per file");
        }
        // every row is checked before anything is stored: a bad row stores nothing
        List<TicketRequest> requests = new java.util.ArrayList<>(rows.size() - 1);
        Instant now = clock.instant();
        for (int i = 1; i < rows.size(); i++) {
            List<String> row = rows.get(i);
            try {
                if (row.size() != header.size()) {
                    throw new ApiException.BadRequest("invalid-csv", "has " + row.size() + " fields, the header "
                            + header.size());
                }
                String deviceId = cell(row, header, "device_id");
                String opened = cell(row, header, "opened_at");
                var req = new TicketRequest(deviceId == null ? null : UUID.fromString(deviceId),
                        cell(row, header, "serial"), cell(row, header, "category"),
                        opened == null ? now : Instant.parse(opened), cell(row, header, "external_id"),
                        cell(row, header, "account"));
                validate(req, now);
                if (req.deviceId() == null && req.serial() == null && req.account() == null) {
                    throw new ApiException.BadRequest("invalid-ticket", "a ticket must name a device by deviceId or "
                            + "serial, or a subscriber account");
                }
                requests.add(req);
            } catch (ApiException e) {
                throw new ApiException.BadRequest("invalid-csv-row", "row " + (i + 1) + ": " + e.getMessage()
                        + "; nothing of the file was stored");
            } catch (RuntimeException e) { // a malformed UUID or timestamp
                throw new ApiException.BadRequest("invalid-csv-row", "row " + (i + 1) + ": " + e.getMessage()
                        + "; nothing of the file was stored");
            }
        }
        return storeBatch(requests, now, actor);
    }

    /**
     * Tickets as a JSON array (at most {@link #MAX_CSV_ROWS}), all or none like a CSV file: every ticket is checked
     * first, a bad one is answered with its index and nothing is stored.
     */
    @Transactional
    public CsvResult importBatch(List<TicketRequest> requests, String actor) {
        if (requests == null || requests.isEmpty() || requests.size() > MAX_CSV_ROWS) {
            throw new ApiException.BadRequest("invalid-batch", "a batch has 1 to " + MAX_CSV_ROWS + " tickets");
        }
        Instant now = clock.instant();
        List<TicketRequest> checked = new java.util.ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            TicketRequest req = requests.get(i);
            try {
                if (req == null) {
                    throw new ApiException.BadRequest("invalid-ticket", "is null");
                }
                validate(req, now);
                if (req.deviceId() == null && req.serial() == null && req.account() == null) {
                    throw new ApiException.BadRequest("invalid-ticket", "a ticket must name a device by deviceId or "
                            + "serial, or a subscriber account");
                }
                checked.add(req.openedAt() == null ? new TicketRequest(req.deviceId(), req.serial(), req.category(),
                        now, req.externalId(), req.account()) : req);
            } catch (ApiException e) {
                throw new ApiException.BadRequest("invalid-batch-ticket", "ticket " + i + ": " + e.getMessage()
                        + "; nothing of the batch was stored");
            }
        }
        return storeBatch(checked, now, actor);
    }

    /** Stores checked tickets in multi-row inserts, resolving the boxes and accounts they name in a few queries. */
    private CsvResult storeBatch(List<TicketRequest> requests, Instant now, String actor) {
        // the boxes the tickets name, in two queries rather than one per ticket
        java.util.Map<String, UUID> bySerial = new java.util.HashMap<>();
        var serials = requests.stream().map(TicketRequest::serial).filter(java.util.Objects::nonNull).distinct().toList();
        if (!serials.isEmpty()) {
            jdbc.sql("select serial, id from device where serial in (:s)").param("s", serials)
                    .query((rs, n) -> bySerial.put(rs.getString(1), rs.getObject(2, UUID.class))).list();
        }
        java.util.Set<UUID> known = new java.util.HashSet<>();
        var ids = requests.stream().map(TicketRequest::deviceId).filter(java.util.Objects::nonNull).distinct().toList();
        if (!ids.isEmpty()) {
            known.addAll(jdbc.sql("select id from device where id in (:ids)").param("ids", ids)
                    .query(UUID.class).list());
        }
        java.util.Set<String> accounts = new java.util.HashSet<>();
        var named = requests.stream().filter(r -> r.deviceId() == null && r.serial() == null)
                .map(TicketRequest::account).distinct().toList();
        if (!named.isEmpty()) {
            accounts.addAll(jdbc.sql("select distinct account from device where account in (:a)").param("a", named)
                    .query(String.class).list());
        }
        int stored = 0;
        int unmatched = 0;
        // multi-row inserts of up to 500 rows; a repeat of a stored external id is skipped by the unique constraint
        for (int from = 0; from < requests.size(); from += 500) {
            var chunk = requests.subList(from, Math.min(requests.size(), from + 500));
            StringBuilder sql = new StringBuilder("insert into ticket (device_id, category, external_id, opened_at, "
                    + "received_at, subject, matched, account) values ");
            List<Object> params = new java.util.ArrayList<>(chunk.size() * 8);
            for (int i = 0; i < chunk.size(); i++) {
                TicketRequest req = chunk.get(i);
                boolean byAccount = req.deviceId() == null && req.serial() == null;
                UUID device = req.deviceId() != null ? (known.contains(req.deviceId()) ? req.deviceId() : null)
                        : req.serial() != null ? bySerial.get(req.serial()) : null;
                boolean matched = byAccount ? accounts.contains(req.account()) : device != null;
                sql.append(i == 0 ? "" : ",").append("(?, ?, ?, ?, ?, ?, ?, ?)");
                params.add(device);
                params.add(req.category());
                params.add(req.externalId());
                params.add(java.sql.Timestamp.from(req.openedAt()));
                params.add(java.sql.Timestamp.from(now));
                params.add(req.deviceId() != null ? req.deviceId().toString()
                        : byAccount ? "account/" + req.account() : req.serial());
                params.add(matched);
                params.add(byAccount ? req.account() : null);
            }
            sql.append(" on conflict (external_id) do nothing returning matched");
            List<Boolean> inserted = jdbc.sql(sql.toString()).params(params).query(Boolean.class).list();
            stored += inserted.size();
            unmatched += (int) inserted.stream().filter(m -> !m).count();
        }
        int duplicates = requests.size() - stored;
        audit.record(actor, "ticket.import", "tickets", "rows=" + requests.size() + " stored=" + stored
                + " duplicates=" + duplicates + " unmatched=" + unmatched);
        meters.counter("stb.tickets", "source", "csv", "matched", "true").increment(stored - unmatched);
        meters.counter("stb.tickets", "source", "csv", "matched", "false").increment(unmatched);
        return new CsvResult(requests.size(), stored, duplicates, unmatched);
    }

    /** The checks every ticket passes before it is stored, however it arrives. */
    private void validate(TicketRequest req, Instant now) {
        if (req.category() == null || !CATEGORY.matcher(req.category()).matches()) {
            throw new ApiException.BadRequest("invalid-ticket", "a ticket needs a category matching " + CATEGORY.pattern());
        }
        if (req.externalId() != null && !EXTERNAL_ID.matcher(req.externalId()).matches()) {
            throw new ApiException.BadRequest("invalid-ticket", "externalId must match " + EXTERNAL_ID.pattern());
        }
        if (req.serial() != null && req.serial().length() > 128) {
            throw new ApiException.BadRequest("invalid-ticket", "serial is longer than 128 characters");
        }
        if (req.account() != null && !EXTERNAL_ID.matcher(req.account()).matches()) {
            throw new ApiException.BadRequest("invalid-ticket", "account must match " + EXTERNAL_ID.pattern());
        }
        Instant opened = req.openedAt() == null ? now : req.openedAt();
        if (opened.isAfter(now.plus(limits.ticketMaxClockSkew()))) {
            throw new ApiException.BadRequest("ticket-in-future", "openedAt " + opened + " is ahead of the server's "
                    + "clock " + now + " by more than " + limits.ticketMaxClockSkew());
        }
        if (opened.isBefore(now.minus(limits.ticketMaxAge()))) {
            throw new ApiException.BadRequest("ticket-too-old", "openedAt " + opened + " is more than "
                    + limits.ticketMaxAge() + " before the server's clock " + now);
        }
    }

    private static String cell(List<String> row, List<String> header, String column) {
        int i = header.indexOf(column);
        if (i < 0 || row.get(i).isBlank()) {
            return null;
        }
        return row.get(i).trim();
    }

    /** Tickets stored that named no known box. */
    @Transactional(readOnly = true)
    public long unmatchedTickets() {
        return jdbc.sql("select count(*) from ticket where not matched").query(Long.class).single();
    }

    /**
     * How many boxes sent a report of these types about image {@code digest} since {@code since} (the boxes that
     * failed to install or boot it, or crashed on it): a box that retried and failed ten times counts once.
     */
    @Transactional(readOnly = true)
    public long boxesReporting(Digest digest, java.util.Collection<org.stbguest.device.api.ReportType> types,
                               Instant since) {
        return jdbc.sql("select count(distinct device_id) from device_event "
                        + "where digest = :digest and type in (:types) and occurred_at >= :since")
                .param("digest", digest.hex()).param("types", types.stream().map(Enum::name).toList())
                .param("since", java.sql.Timestamp.from(since)).query(Long.class).single();
    }

    /**
     * The crash reports received after event {@code afterId}, by the image the crashing guest ran: {@code newImage}
     * or {@code oldImage} for {@code role}, from boxes of {@code target}; crashes of other images are not counted.
     */
    @Transactional(readOnly = true)
    public NewTickets crashesAfter(long afterId, String role, Digest newImage, Digest oldImage,
                                   org.stbguest.operator.device.Target target) {
        long last = jdbc.sql("select coalesce(max(id), :after) from device_event where type = 'CRASHED' and id > :after")
                .param("after", afterId).query(Long.class).single();
        if (last == afterId) {
            return new NewTickets(afterId, 0, 0);
        }
        var t = target.sql("d");
        var counts = jdbc.sql("select count(*) filter (where e.digest = :new), count(*) filter (where e.digest = :old) "
                        + "from device_event e join device d on d.id = e.device_id "
                        + "where e.type = 'CRASHED' and e.id > :after and e.id <= :last and e.role = :role and "
                        + t.condition())
                .params(t.params()).param("new", newImage.hex()).param("old", oldImage == null ? "" : oldImage.hex())
                .param("role", role).param("after", afterId).param("last", last)
                .query((rs, n) -> new long[] {rs.getLong(1), rs.getLong(2)}).single();
        return new NewTickets(last, counts[0], counts[1]);
    }

    /** The id of the newest device event (0 when there is none): where a crash signal starts counting. */
    @Transactional(readOnly = true)
    public long lastEventId() {
        return jdbc.sql("select coalesce(max(id), 0) from device_event").query(Long.class).single();
    }

    /** Tickets received after ticket {@code afterId}, by the cohort of the box they name. */
    public record NewTickets(long lastId, long fromNew, long fromOld) {
    }

    /**
     * The tickets received after ticket {@code afterId} (in the order received), counted by what the box they name
     * (or a box of the account they name) runs now for {@code role}: {@code newImage} or {@code oldImage}; boxes of
     * other models or on other images are not counted. {@code lastId} is where the next call goes on.
     */
    @Transactional(readOnly = true)
    public NewTickets ticketsAfter(long afterId, String role, Digest newImage, Digest oldImage,
                                   org.stbguest.operator.device.Target target) {
        devices.flushCheckIns();
        long last = jdbc.sql("select coalesce(max(id), :after) from ticket where id > :after")
                .param("after", afterId).query(Long.class).single();
        if (last == afterId) {
            return new NewTickets(afterId, 0, 0);
        }
        // a ticket naming an account counts once: from the new cohort if any of the account's boxes runs the new
        // image, else from the old if any runs the old one
        var t = target.sql("d");
        var counts = jdbc.sql("""
                        select count(*) filter (where x.any_new) as from_new,
                               count(*) filter (where not x.any_new and x.any_old) as from_old
                        from (select t.id, bool_or(s.active_digest = :new) as any_new,
                                     bool_or(s.active_digest = :old) as any_old
                              from ticket t
                              join device d on (d.id = t.device_id
                                        or (t.device_id is null and t.account is not null and d.account = t.account))
                                    and %s
                              join device_role_state s on s.device_id = d.id and s.role = :role
                              where t.id > :after and t.id <= :last
                              group by t.id) x""".formatted(t.condition()))
                .params(t.params()).param("new", newImage.hex()).param("old", oldImage == null ? "" : oldImage.hex())
                .param("role", role).param("after", afterId).param("last", last)
                .query((rs, n) -> new long[] {rs.getLong(1), rs.getLong(2)}).single();
        return new NewTickets(last, counts[0], counts[1]);
    }

    /**
     * Rollback completion: how many boxes reported committing {@code image} for {@code role}, and how many of those
     * run {@code previous} now.
     */
    @Transactional(readOnly = true)
    public long[] activatedAndBack(String role, Digest image, Digest previous) {
        devices.flushCheckIns();
        return jdbc.sql("""
                        select count(distinct e.device_id),
                               count(distinct e.device_id) filter (where s.active_digest = :previous)
                        from device_event e
                        left join device_role_state s on s.device_id = e.device_id and s.role = :role
                        where e.type = 'ACTIVATED' and e.role = :role and e.digest = :image""")
                .param("role", role).param("image", image.hex())
                .param("previous", previous == null ? "" : previous.hex())
                .query((rs, n) -> new long[] {rs.getLong(1), rs.getLong(2)}).single();
    }

    /** The id of the newest ticket (0 when there is none): where a rollout's guard starts counting. */
    @Transactional(readOnly = true)
    public long lastTicketId() {
        return jdbc.sql("select coalesce(max(id), 0) from ticket").query(Long.class).single();
    }

    /** Crash reports per device-hour over the last {@code window} among {@code devices} boxes (0 when none). */
    @Transactional(readOnly = true)
    public double observedCrashRate(java.time.Duration window, long devices) {
        if (devices <= 0) {
            return 0;
        }
        long n = jdbc.sql("select count(*) from device_event where type = 'CRASHED' and occurred_at >= :since")
                .param("since", java.sql.Timestamp.from(clock.instant().minus(window))).query(Long.class).single();
        return n / (devices * (window.toMillis() / 3_600_000.0));
    }

    /** Tickets per device-hour over the last {@code window} among {@code devices} boxes (0 when none). */
    @Transactional(readOnly = true)
    public double observedRate(java.time.Duration window, long devices) {
        if (devices <= 0) {
            return 0;
        }
        long n = jdbc.sql("select count(*) from ticket where received_at >= :since")
                .param("since", java.sql.Timestamp.from(clock.instant().minus(window))).query(Long.class).single();
        return n / (devices * (window.toMillis() / 3_600_000.0));
    }

}
