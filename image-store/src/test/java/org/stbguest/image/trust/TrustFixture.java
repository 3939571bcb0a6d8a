package org.stbguest.image.trust;

import java.security.PublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.stbguest.image.SoftwareSigner;

/** Keys and key sets for tests. */
final class TrustFixture {

    static final Instant NOW = Instant.parse("2026-11-21T10:00:00Z");
    static final Instant NEXT_YEAR = Instant.parse("2027-11-21T10:00:00Z");

    private TrustFixture() {
    }

    static SoftwareSigner[] signers(int n) {
        SoftwareSigner[] s = new SoftwareSigner[n];
        for (int i = 0; i < n; i++) {
            s[i] = SoftwareSigner.generate();
        }
        return s;
    }

    static RoleKeys keys(int threshold, SoftwareSigner... signers) {
        List<PublicKey> keys = Arrays.stream(signers).map(SoftwareSigner::publicKey).toList();
        return new RoleKeys(threshold, keys);
    }

    static KeySet keySet(long version, RoleKeys root, RoleKeys release, RoleKeys director) {
        return new KeySet(version, NEXT_YEAR, root, release, director);
    }
}
