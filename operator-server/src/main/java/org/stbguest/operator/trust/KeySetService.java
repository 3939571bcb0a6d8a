package org.stbguest.operator.trust;

import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.image.DetachedSignature;
import org.stbguest.image.ImageVerificationException;
import org.stbguest.image.KeyId;
import org.stbguest.image.ManifestVerifier;
import org.stbguest.image.trust.KeySet;
import org.stbguest.image.trust.KeySetChain;
import org.stbguest.image.trust.KeySetCodec;
import org.stbguest.image.trust.RoleKeys;
import org.stbguest.image.trust.SignedKeySet;
import org.stbguest.operator.StbProperties;
import org.stbguest.operator.audit.AuditLog;
import org.stbguest.operator.web.ApiException;

/**
 * The chain of key sets boxes follow. On a fresh server it creates a development key set (v1) whose root, release
 * and director keys are the server's own; operators then rotate to offline root and release keys with stbctl: the
 * server co-signs that one rotation with its bootstrap root key, and from then on only the offline root keys can
 * rotate again. Every key set is checked against the chain rules before it is stored.
 */
@Service
public class KeySetService {

    private static final Logger log = LoggerFactory.getLogger(KeySetService.class);

    private final KeySetRepository keySets;
    private final ServerKeys keys;
    private final AuditLog audit;
    private final Clock clock;
    private final StbProperties props;

    KeySetService(KeySetRepository keySets, ServerKeys keys, AuditLog audit, Clock clock, StbProperties props) {
        this.keySets = keySets;
        this.keys = keys;
        this.audit = audit;
        this.clock = clock;
        this.props = props;
    }

    /** The current (newest) key set, creating the development key set on first use. */
    @Transactional
    public SignedKeySet currentSigned() {
        return keySets.findFirstByOrderByVersionDesc().map(KeySetService::signed).orElseGet(this::bootstrap);
    }

    /** The current key set, decoded. */
    @Transactional
    public KeySet current() {
        return currentSigned().unverified();
    }

    /** Verifies manifests against the current release keys and threshold. */
    @Transactional
    public ManifestVerifier releaseVerifier() {
        return current().manifestVerifier();
    }

    /** Every key set after {@code version}, in order: what a box needs to catch up. */
    @Transactional
    public List<SignedKeySet> after(long version) {
        currentSigned();
        return keySets.findByVersionGreaterThanOrderByVersion(version).stream().map(KeySetService::signed).toList();
    }

    /** A stored key set with its version. */
    public record Versioned(long version, SignedKeySet signed) {
    }

    /** The whole stored chain with versions, oldest first (read only: the first key set exists already). */
    @Transactional(readOnly = true)
    public List<Versioned> versionedChain() {
        return keySets.findByVersionGreaterThanOrderByVersion(0).stream()
                .map(e -> new Versioned(e.version(), signed(e))).toList();
    }

    /** The whole chain from v1. */
    @Transactional
    public List<SignedKeySet> chain() {
        return after(0);
    }

    /** Stores the next key set, after checking it against the chain rules. */
    @Transactional
    public KeySet rotate(SignedKeySet candidate, String actor) {
        KeySet current = current();
        KeySet next;
        try {
            next = KeySetChain.next(current, candidate, clock.instant());
        } catch (ImageVerificationException e) {
            throw new ApiException.Conflict("key-set-rejected", e.getMessage());
        }
        save(candidate, next);
        audit.record(actor, "keyset.rotate", "keyset/" + next.version(), describe(next));
        log.info("event=key_set_rotated version={}", next.version());
        return next;
    }

    /**
     * Adds the server's bootstrap root signature to a candidate rotation, which is how a server leaves its
     * development key set. Refused when the server's root key is no longer a current root key.
     */
    @Transactional
    public SignedKeySet coSign(SignedKeySet candidate, String actor) {
        KeySet current = current();
        KeyId serverRoot = KeyId.of(keys.rootPublicKey());
        if (!current.root().byId().containsKey(serverRoot)) {
            throw new ApiException.Conflict("server-root-retired",
                    "the server's bootstrap root key is not a root key of key set v" + current.version());
        }
        KeySet next = candidate.unverified();
        if (next.version() != current.version() + 1) {
            throw new ApiException.Conflict("key-set-version", "a rotation from v" + current.version()
                    + " must be v" + (current.version() + 1) + ", not v" + next.version());
        }
        audit.record(actor, "keyset.cosign", "keyset/" + next.version(), describe(next));
        return candidate.withSignature(DetachedSignature.of(serverRoot, keys.rootSigner().sign(candidate.bytes())));
    }

    private SignedKeySet bootstrap() {
        Instant now = clock.instant();
        KeySet dev = new KeySet(1, now.plus(props.keys().keySetValidity()), single(keys.rootPublicKey()),
                single(keys.releasePublicKey()), single(keys.directorPublicKey()));
        SignedKeySet signed = SignedKeySet.sign(dev, keys.rootSigner());
        try {
            save(signed, dev);
        } catch (DataIntegrityViolationException e) {
            // another instance bootstrapped at the same moment
            return keySets.findFirstByOrderByVersionDesc().map(KeySetService::signed).orElseThrow();
        }
        audit.record("system", "keyset.bootstrap", "keyset/1", describe(dev));
        log.warn("event=development_key_set_created version=1 hint=the server holds the root key; rotate to offline "
                + "root keys with 'stbctl keys init'");
        return signed;
    }

    private void save(SignedKeySet signed, KeySet k) {
        keySets.saveAndFlush(new KeySetEntity(k.version(), KeySetCodec.encode(k),
                DeviceApiJson.signaturesToJson(signed.signatures()), k.expires(), clock.instant()));
    }

    private static RoleKeys single(PublicKey key) {
        return new RoleKeys(1, List.of(key));
    }

    private static SignedKeySet signed(KeySetEntity e) {
        return new SignedKeySet(Base64.getEncoder().encodeToString(e.content()),
                DeviceApiJson.signaturesFromJson(e.signatures()));
    }

    static String describe(KeySet k) {
        return "v" + k.version() + " root " + k.root().threshold() + "/" + k.root().keys().size() + ", release "
                + k.release().threshold() + "/" + k.release().keys().size() + ", director "
                + k.director().threshold() + "/" + k.director().keys().size() + ", expires " + k.expires();
    }
}
