package org.stbguest.image;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a release key vouches for: one guest image for one role and a set of hardware models, cut into fixed-size
 * chunks, each named by its SHA-256. The root digest binds the chunk list, size and chunk size together and names
 * the image everywhere (store, rollouts, slots). Canonical bytes come from {@link ManifestCodec}.
 *
 * <p>Invariants: the chunk count is exactly {@code ceil(size / chunkSize)}, models are non-empty and sorted, and the
 * root digest is the one computed from the other fields.
 */
public record Manifest(
        int formatVersion,
        String role,
        long version,
        long securityVersion,
        List<String> hardwareModels,
        long size,
        int chunkSize,
        List<Digest> chunkDigests,
        Digest rootDigest) {

    /** The only manifest format this code writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** Smallest chunk allowed (keeps the manifest of a large image bounded). */
    public static final int MIN_CHUNK_SIZE = 4 * 1024;
    /** Largest chunk allowed (a chunk is verified in memory). */
    public static final int MAX_CHUNK_SIZE = 16 * 1024 * 1024;
    /** Upper bound on the number of chunks in one image. */
    public static final int MAX_CHUNKS = 1 << 22;
    /** Upper bound on the number of hardware models. */
    public static final int MAX_MODELS = 256;

    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    public Manifest {
        if (formatVersion != FORMAT_VERSION) {
            throw invalid("unsupported manifest format " + formatVersion + " (supported: " + FORMAT_VERSION + ")");
        }
        if (role == null || !NAME.matcher(role).matches()) {
            throw invalid("role must match " + NAME.pattern() + ", got: " + role);
        }
        if (version < 0) {
            throw invalid("version must be >= 0, got " + version);
        }
        if (securityVersion < 0 || securityVersion > 0xFFFFFFFFL) {
            throw invalid("security version must be in 0..2^32-1, got " + securityVersion);
        }
        if (hardwareModels == null || hardwareModels.isEmpty() || hardwareModels.size() > MAX_MODELS) {
            throw invalid("between 1 and " + MAX_MODELS + " hardware models are required");
        }
        for (String model : hardwareModels) {
            if (model == null || !NAME.matcher(model).matches()) {
                throw invalid("hardware model must match " + NAME.pattern() + ", got: " + model);
            }
        }
        if (!List.copyOf(new TreeSet<>(hardwareModels)).equals(hardwareModels)) {
            throw invalid("hardware models must be sorted and unique: " + hardwareModels);
        }
        if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
            throw invalid("chunk size must be in " + MIN_CHUNK_SIZE + ".." + MAX_CHUNK_SIZE + ", got " + chunkSize);
        }
        if (size < 0) {
            throw invalid("size must be >= 0, got " + size);
        }
        long expectedChunks = chunkCount(size, chunkSize);
        if (expectedChunks > MAX_CHUNKS) {
            throw invalid("image of " + size + " bytes needs " + expectedChunks + " chunks, over the limit " + MAX_CHUNKS);
        }
        if (chunkDigests == null || chunkDigests.size() != expectedChunks) {
            throw invalid("size " + size + " with chunk size " + chunkSize + " needs " + expectedChunks
                    + " chunk digests, got " + (chunkDigests == null ? 0 : chunkDigests.size()));
        }
        hardwareModels = List.copyOf(hardwareModels);
        chunkDigests = List.copyOf(chunkDigests);
        Digest computed = computeRoot(size, chunkSize, chunkDigests);
        if (rootDigest == null) {
            rootDigest = computed;
        } else if (!rootDigest.equals(computed)) {
            throw invalid("root digest " + rootDigest.shortHex() + " does not match the chunk list (" + computed.shortHex() + ")");
        }
    }

    /** Builds a manifest, computing the root digest. */
    public static Manifest of(String role, long version, long securityVersion, Set<String> models,
                              long size, int chunkSize, List<Digest> chunkDigests) {
        return new Manifest(FORMAT_VERSION, role, version, securityVersion, List.copyOf(new TreeSet<>(models)),
                size, chunkSize, chunkDigests, null);
    }

    /** Number of chunks an image of {@code size} bytes has at {@code chunkSize}. */
    public static long chunkCount(long size, int chunkSize) {
        return (size + chunkSize - 1) / chunkSize;
    }

    /** Length of chunk {@code index}: {@code chunkSize} except for the last, which may be shorter. */
    public int chunkLength(int index) {
        if (index < 0 || index >= chunkDigests.size()) {
            throw new IndexOutOfBoundsException("chunk " + index + " of " + chunkDigests.size());
        }
        long start = (long) index * chunkSize;
        return (int) Math.min(chunkSize, size - start);
    }

    /** Whether this image may run on the given hardware model. */
    public boolean supportsModel(String model) {
        return hardwareModels.contains(model);
    }

    /**
     * Checks one chunk against the manifest.
     *
     * @throws ImageVerificationException with {@code TAMPERED_CHUNK} or {@code TRUNCATED} when it does not match
     */
    public void verifyChunk(int index, byte[] data, int offset, int length) {
        checkLength(index, length);
        checkDigest(index, Digest.sha256(data, offset, length));
    }

    /**
     * Checks several whole chunks against the manifest, chunk {@code indexes[i]} being {@code data[i]}; their SHA-256
     * digests are computed together ({@link ChunkDigests}), which is several times faster where the CPU has wide
     * vectors.
     *
     * @return for each chunk, {@code null} when it matches, or the {@code TAMPERED_CHUNK} or {@code TRUNCATED} error
     *         {@link #verifyChunk} would have thrown
     */
    public ImageVerificationException[] checkChunks(int[] indexes, byte[][] data) {
        return checkChunks(indexes, data, ChunkDigests::sha256);
    }

    /** The same with the batch digests from {@code digester}. */
    ImageVerificationException[] checkChunks(int[] indexes, byte[][] data,
                                             java.util.function.Function<byte[][], Digest[]> digester) {
        if (indexes.length != data.length) {
            throw new IllegalArgumentException(indexes.length + " indexes for " + data.length + " chunks");
        }
        ImageVerificationException[] errors = new ImageVerificationException[data.length];
        for (int i = 0; i < data.length; i++) {
            try {
                checkLength(indexes[i], data[i].length);
            } catch (ImageVerificationException e) {
                errors[i] = e;
            }
        }
        Digest[] digests = digester.apply(data);
        for (int i = 0; i < data.length; i++) {
            if (errors[i] == null) {
                Digest actual = digests[i];
                if (!actual.equals(chunkDigests.get(indexes[i]))) {
                    // rejected only on the JDK's word: a wrong batch digest would cost a good chunk a repair
                    Digest jdk = Digest.sha256(data[i]);
                    if (!jdk.equals(actual)) {
                        ChunkDigests.distrust("chunk " + indexes[i] + " of " + role + " v" + version);
                        actual = jdk;
                    }
                }
                try {
                    checkDigest(indexes[i], actual);
                } catch (ImageVerificationException e) {
                    errors[i] = e;
                }
            }
        }
        return errors;
    }

    private void checkLength(int index, int length) {
        int expectedLength = chunkLength(index);
        if (length != expectedLength) {
            throw new ImageVerificationException(ImageVerificationException.Reason.TRUNCATED,
                    "chunk " + index + " has " + length + " bytes, manifest says " + expectedLength);
        }
    }

    private void checkDigest(int index, Digest actual) {
        Digest expected = chunkDigests.get(index);
        if (!actual.equals(expected)) {
            throw new ImageVerificationException(ImageVerificationException.Reason.TAMPERED_CHUNK,
                    "chunk " + index + " of " + role + " v" + version + " has SHA-256 " + actual.shortHex()
                            + ", manifest says " + expected.shortHex());
        }
    }

    static Digest computeRoot(long size, int chunkSize, List<Digest> chunkDigests) {
        var md = Digest.newSha256();
        md.update("stb-image-root-v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        md.update(java.nio.ByteBuffer.allocate(12).putLong(size).putInt(chunkSize).array());
        for (Digest d : chunkDigests) {
            md.update(d.bytes());
        }
        return Digest.ofBytes(md.digest());
    }

    private static ImageVerificationException invalid(String message) {
        return new ImageVerificationException(ImageVerificationException.Reason.MALFORMED_MANIFEST, message);
    }

    @Override
    public String toString() {
        return "Manifest[" + role + " v" + version + " sv" + securityVersion + " models=" + hardwareModels
                + " size=" + size + " chunks=" + chunkDigests.size() + " root=" + rootDigest.shortHex() + "]";
    }
}
