package org.stbguest.agent.hypervisor;

import java.nio.file.Path;
import org.stbguest.device.api.Slot;
import org.stbguest.image.Digest;

/** Which guest to boot: role, slot, the image's digest and version, and its file when the storage holds bytes. */
public record BootRequest(String role, Slot slot, Digest digest, long version, Path imageFile) {
}
