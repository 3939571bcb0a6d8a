package org.stbguest.device.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.stbguest.image.Digest;
import org.stbguest.image.Manifest;
import org.stbguest.image.SignedManifest;
import org.stbguest.image.SoftwareSigner;

class DeviceApiJsonTest {

    @Test
    void desiredStateRoundTripsThroughJsonWithDigestsAsPlainHexStrings() {
        Manifest m = Manifest.of("entertainment", 2, 1, java.util.Set.of("stb-x1"), 0, Manifest.MIN_CHUNK_SIZE, List.of());
        SignedManifest signed = SignedManifest.sign(m, SoftwareSigner.generate());
        SoftwareSigner director = SoftwareSigner.generate();
        var statement = org.stbguest.image.trust.SignedStatement.sign(new org.stbguest.image.trust.SignedStatement.Envelope(
                3, java.time.Instant.parse("2027-01-01T00:00:00Z"),
                new org.stbguest.image.trust.Statement.Activate("entertainment", Digest.sha256(new byte[] {1}))), director);
        DesiredState state = new DesiredState(List.of(), List.of(statement), List.of(new RoleDirective("entertainment",
                new ImageOffer(signed, new TransmissionInfo(7, "239.255.0.2", 5001, 1400, 64)))), 1000);

        String json = DeviceApiJson.mapper().writeValueAsString(state);
        DesiredState back = DeviceApiJson.mapper().readValue(json, DesiredState.class);

        assertThat(back).isEqualTo(state);
        assertThat(back.statements().get(0).unverified().sequence()).isEqualTo(3);
    }

    @Test
    void unknownPropertiesFromANewerServerAreIgnored() {
        DesiredState s = DeviceApiJson.mapper().readValue(
                "{\"roles\":[],\"checkInIntervalMillis\":5,\"futureField\":true}", DesiredState.class);
        assertThat(s.statements()).isEmpty();
        assertThat(s.checkInIntervalMillis()).isEqualTo(5);
    }

    @Test
    void enrollmentNeverPrintsItsToken() {
        var e = new Enrollment(java.util.UUID.randomUUID(), "SN1", "stb-x1", "secret-token-value");
        assertThat(e.toString()).doesNotContain("secret-token-value");
    }
}
