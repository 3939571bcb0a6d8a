package org.stbguest.operator.trust;

import java.security.Principal;
import java.security.PublicKey;
import java.util.Base64;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.stbguest.image.Ed25519;
import org.stbguest.image.KeyId;
import org.stbguest.image.trust.KeySet;
import org.stbguest.image.trust.SignedKeySet;

/** The key-set chain (public: boxes and stbctl read it) and rotations (operators). */
@RestController
class TrustController {

    /** A public key as the API shows it. */
    record KeyView(String keyId, String publicKeyBase64) {
        static KeyView of(PublicKey k) {
            return new KeyView(KeyId.of(k).hex(), Base64.getEncoder().encodeToString(Ed25519.rawPublicKey(k)));
        }
    }

    /** The server's own public keys, for building a rotation. */
    record ServerKeysView(KeyView root, KeyView release, KeyView director) {
    }

    /** A key set decoded for people. */
    record KeySetView(long version, String expires, int rootThreshold, List<KeyView> root, int releaseThreshold,
                      List<KeyView> release, int directorThreshold, List<KeyView> director) {
        static KeySetView of(KeySet k) {
            return new KeySetView(k.version(), k.expires().toString(), k.root().threshold(),
                    k.root().keys().stream().map(KeyView::of).toList(), k.release().threshold(),
                    k.release().keys().stream().map(KeyView::of).toList(), k.director().threshold(),
                    k.director().keys().stream().map(KeyView::of).toList());
        }
    }

    private final KeySetService keySets;
    private final ServerKeys keys;

    TrustController(KeySetService keySets, ServerKeys keys) {
        this.keySets = keySets;
        this.keys = keys;
    }

    @GetMapping("/api/keysets")
    List<SignedKeySet> chain() {
        return keySets.chain();
    }

    @GetMapping("/api/keysets/current")
    KeySetView current() {
        return KeySetView.of(keySets.current());
    }

    @GetMapping("/api/keys/server")
    ServerKeysView serverKeys() {
        return new ServerKeysView(KeyView.of(keys.rootPublicKey()), KeyView.of(keys.releasePublicKey()),
                KeyView.of(keys.directorPublicKey()));
    }

    @PostMapping("/api/keysets")
    @ResponseStatus(HttpStatus.CREATED)
    KeySetView rotate(@RequestBody SignedKeySet candidate, Principal who) {
        return KeySetView.of(keySets.rotate(candidate, who.getName()));
    }

    @PostMapping("/api/keysets/cosign")
    SignedKeySet coSign(@RequestBody SignedKeySet candidate, Principal who) {
        return keySets.coSign(candidate, who.getName());
    }
}
