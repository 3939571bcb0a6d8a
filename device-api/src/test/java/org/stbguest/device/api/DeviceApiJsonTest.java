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
        Digest old = Digest.sha256(new byte[] {1});
        DesiredState state = new DesiredState(List.of(new RoleDirective("entertainment",
                new ImageOffer(signed, new TransmissionInfo(7, "239.255.0.2", 5001, 1400)), old)), 1000);

        String json = DeviceApiJson.mapper().writeValueAsString(state);
        DesiredState back = DeviceApiJson.mapper().readValue(json, DesiredState.class);

        assertThat(back).isEqualTo(state);
        assertThat(json).contains("\"activate\":\"" + old.hex() + "\"");
    }

    @Test
    void unknownPropertiesFromANewerServerAreIgnored() {
        DesiredState s = DeviceApiJson.mapper().readValue(
                "{\"roles\":[],\"checkInIntervalMillis\":5,\"futureField\":true}", DesiredState.class);
        assertThat(s.checkInIntervalMillis()).isEqualTo(5);
    }

    @Test
    void enrollmentNeverPrintsItsToken() {
        var e = new Enrollment(java.util.UUID.randomUUID(), "SN1", "stb-x1", "secret-token-value");
        assertThat(e.toString()).doesNotContain("secret-token-value");
    }
}
