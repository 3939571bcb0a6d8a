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

    DeviceService(DeviceRepository devices, DeviceRoleStateRepository states, AuditLog audit, Clock clock,
                  org.stbguest.operator.StbProperties props) {
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
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = "stbd_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        UUID id = UUID.randomUUID();
        devices.save(new DeviceEntity(id, serial, hardwareModel, hash(token), clock.instant(), account));
        audit.record(actor, "device.enroll", "device/" + id, "serial=" + serial + " model=" + hardwareModel);
        return new Enrollment(id, serial, hardwareModel, token);
    }

    @Override
    @Transactional(readOnly = true)
    public Optional<DevicePrincipal> authenticate(String token) {
        if (token == null || token.isEmpty() || token.length() > 200) {
            return Optional.empty();
        }
        return devices.findByTokenHash(hash(token)).map(d -> new DevicePrincipal(d.id(), d.hardwareModel()));
    }

    /**
     * Records what a device reports at check-in: at most {@code maxRolesPerCheckIn} roles, each named as an image
     * role is, each once.
     */
    @Transactional
    public void recordCheckIn(UUID deviceId, CheckIn checkIn) {
        if (checkIn.roles().size() > maxRoles) {
            throw new ApiException.BadRequest("invalid-check-in", "a check-in may describe at most " + maxRoles
                    + " roles, this one has " + checkIn.roles().size());
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (RoleStatus r : checkIn.roles()) {
            if (!MODEL.matcher(r.role()).matches() || !seen.add(r.role())) {
                throw new ApiException.BadRequest("invalid-check-in", "roles must match " + MODEL.pattern()
                        + " and appear once each");
            }
            if (r.slots().size() > 2) {
                throw new ApiException.BadRequest("invalid-check-in", "a role has at most two slots");
            }
        }
        DeviceEntity d = devices.findById(deviceId)
                .orElseThrow(() -> new ApiException.NotFound("device-not-found", "no device " + deviceId));
        d.checkedIn(clock.instant());
        for (RoleStatus r : checkIn.roles()) {
            var key = new DeviceRoleState.Key(deviceId, r.role());
            DeviceRoleState s = states.findById(key).orElseGet(() -> new DeviceRoleState(key));
            String active = r.activeDigest() == null ? null : r.activeDigest().hex();
            String other = r.slots().stream()
                    .filter(slot -> slot.digest() != null && slot.slot() != r.activeSlot())
                    .map(SlotStatus::digest).map(Digest::hex).findFirst().orElse(null);
            s.update(active, other, clock.instant());
            states.save(s);
        }
    }

    /** Devices of these models, the targets of an image built for them. */
    @Transactional(readOnly = true)
    public long countTargets(Collection<String> models) {
        return devices.countByHardwareModelIn(models);
    }

    /**
     * Applies what a box reports at once, so a rollout's counters move with the reports and not only with the next
     * check-in: STAGED puts the image in its other slot, ACTIVATED makes it the running one. The next check-in's
     * full state overwrites whatever a lost or reordered report left behind.
     */
    @Transactional
    public void applyReport(UUID deviceId, org.stbguest.device.api.DeviceReport report) {
        if (report.digest() == null || !MODEL.matcher(report.role()).matches()) {
            return;
        }
        var key = new DeviceRoleState.Key(deviceId, report.role());
        switch (report.type()) {
            case STAGED -> states.save(states.findById(key).orElseGet(() -> new DeviceRoleState(key)))
                    .staged(report.digest().hex(), clock.instant());
            case ACTIVATED -> states.save(states.findById(key).orElseGet(() -> new DeviceRoleState(key)))
                    .activated(report.digest().hex(), clock.instant());
            case STAGE_FAILED, BOOT_FAILED, REFUSED -> {
                // what the box runs and holds is unchanged
            }
        }
    }

    /** The ids of the devices of these models (to place them in a rollout's waves). */
    @Transactional(readOnly = true)
    public List<UUID> targetIds(Collection<String> models) {
        return devices.findIdsByHardwareModelIn(models);
    }

    /** Target devices running {@code digest} for {@code role}. */
    @Transactional(readOnly = true)
    public long countRunning(String role, Digest digest, Collection<String> models) {
        return states.countActive(role, digest.hex(), models);
    }

    /** Target devices holding {@code digest} for {@code role} in either slot. */
    @Transactional(readOnly = true)
    public long countHolding(String role, Digest digest, Collection<String> models) {
        return states.countHolding(role, digest.hex(), models);
    }

    /** How many devices run each image of a role (null key: none). */
    @Transactional(readOnly = true)
    public Map<String, Long> versionMix(String role) {
        Map<String, Long> mix = new LinkedHashMap<>();
        for (Object[] row : states.versionMix(role)) {
            mix.put((String) row[0], (Long) row[1]);
        }
        return mix;
    }

    @Transactional(readOnly = true)
    public Optional<DeviceView> find(UUID id) {
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
        return devices.findAll().stream().map(this::view).toList();
    }

    private DeviceView view(DeviceEntity d) {
        Map<String, String> active = new LinkedHashMap<>();
        for (DeviceRoleState s : states.findByKeyDeviceId(d.id())) {
            active.put(s.key().role(), s.activeDigest());
        }
        return new DeviceView(d.id(), d.serial(), d.hardwareModel(), d.enrolledAt(), d.lastCheckIn(), active,
                d.account());
    }

    static String hash(String token) {
        return Digest.sha256(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hex();
    }
}
