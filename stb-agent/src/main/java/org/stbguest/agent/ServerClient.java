package org.stbguest.agent;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.BitSet;
import java.util.function.BooleanSupplier;
import org.stbguest.device.api.CheckIn;
import org.stbguest.device.api.DesiredState;
import org.stbguest.device.api.DeviceApi;
import org.stbguest.device.api.DeviceApiJson;
import org.stbguest.device.api.DeviceReport;
import org.stbguest.image.Digest;
import org.stbguest.image.Manifest;
import org.stbguest.multicast.ChunkSink;

/**
 * The agent's HTTP client for the device API; every call carries the device's own bearer token. Every answer is
 * read within the box's {@link AgentConfig.Limits}: a check-in answer up to {@code maxAnswerBytes}, a range answer
 * exactly as long as the range asked for, each within a deadline and above a minimum rate (see
 * {@link BoundedExchange}), so no server and no man in the middle can hang the box or run it out of memory.
 */
public final class ServerClient {

    /** The most body bytes a report's answer may have (it has none). */
    private static final long REPORT_ANSWER_BYTES = 64 << 10;

    private final HttpClient http;
    private final URI server;
    private final String token;
    private final AgentConfig.Limits limits;

    public ServerClient(HttpClient http, URI server, String token, AgentConfig.Limits limits) {
        this.http = http;
        this.server = server;
        this.token = token;
        this.limits = limits;
    }

    /** Checks in and returns the desired state. */
    public DesiredState checkIn(CheckIn checkIn) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = send(post(DeviceApi.CHECK_IN, DeviceApiJson.mapper().writeValueAsBytes(checkIn)),
                limits.maxAnswerBytes(), limits.metadataDeadline());
        DesiredState desired;
        try {
            desired = DeviceApiJson.mapper().readValue(r.body(), DesiredState.class);
        } catch (RuntimeException e) { // Jackson's exceptions are unchecked: a garbled answer is an I/O failure
            throw new IOException("the check-in answer is not a desired state: " + e.getMessage(), e);
        }
        // each key set and statement costs signature checks: an answer stuffed with thousands is refused whole
        if (desired.keySets().size() > MAX_KEY_SETS || desired.statements().size() > MAX_STATEMENTS
                || desired.roles().size() > MAX_ROLES) {
            throw new IOException("the check-in answer carries " + desired.keySets().size() + " key sets, "
                    + desired.statements().size() + " statements and " + desired.roles().size()
                    + " roles; at most " + MAX_KEY_SETS + ", " + MAX_STATEMENTS + " and " + MAX_ROLES + " are read");
        }
        return desired;
    }

    /** The most key sets (rotations to follow) one check-in answer may carry. */
    static final int MAX_KEY_SETS = 64;
    /** The most director statements one check-in answer may carry. */
    static final int MAX_STATEMENTS = 256;
    /** The most role directives one check-in answer may carry. */
    static final int MAX_ROLES = 64;

    /** Sends one report. */
    public void report(DeviceReport report) throws IOException, InterruptedException {
        send(post(DeviceApi.REPORTS, DeviceApiJson.mapper().writeValueAsBytes(report)), REPORT_ANSWER_BYTES,
                limits.metadataDeadline());
    }

    /** Sends a box's backlog of reports in one request ({@link DeviceApi#REPORT_BATCH}). */
    public void reports(java.util.List<DeviceReport> reports) throws IOException, InterruptedException {
        send(post(DeviceApi.REPORT_BATCH, DeviceApiJson.mapper().writeValueAsBytes(reports)), REPORT_ANSWER_BYTES,
                limits.metadataDeadline());
    }

    /** The most bytes one range request of {@link #fetchMissingChunks} asks for (a longer run is cut in pieces). */
    static final long MAX_RANGE_BYTES = 8L << 20;

    /**
     * Unicast repair: fetches the chunks of {@code missing} with HTTP range requests on the image
     * ({@code Range: bytes=first-last}, RFC 9110), one request per run of consecutive missing chunks (at most
     * {@link #MAX_RANGE_BYTES}), checks the run's chunks against the signed manifest (hashed together,
     * {@link Manifest#checkChunks}) and only then hands them to {@code out}.
     *
     * @return the chunks fetched (fewer than asked only when {@code cancelled} said stop)
     * @throws org.stbguest.image.ImageVerificationException when a chunk the server sent does not match the manifest
     *         (nothing of its run has reached {@code out})
     * @throws IOException when the server does not answer a range with exactly that range
     */
    public int fetchMissingChunks(Manifest manifest, BitSet missing, ChunkSink out, BooleanSupplier cancelled)
            throws IOException, InterruptedException {
        int chunkSize = manifest.chunkSize();
        int perRequest = (int) Math.max(1, MAX_RANGE_BYTES / chunkSize);
        int fetched = 0;
        for (int first = missing.nextSetBit(0); first >= 0 && !cancelled.getAsBoolean();
                first = missing.nextSetBit(first)) {
            int end = Math.min(missing.nextClearBit(first), first + perRequest); // exclusive
            long from = (long) first * chunkSize;
            long to = (long) (end - 1) * chunkSize + manifest.chunkLength(end - 1); // exclusive
            byte[] run = fetchRange(manifest.rootDigest(), from, to - from);
            int[] indexes = new int[end - first];
            byte[][] chunks = new byte[end - first][];
            for (int i = 0; i < indexes.length; i++) {
                indexes[i] = first + i;
                int offset = i * chunkSize; // a run is at most MAX_RANGE_BYTES
                chunks[i] = java.util.Arrays.copyOfRange(run, offset, offset + manifest.chunkLength(first + i));
            }
            for (var error : manifest.checkChunks(indexes, chunks)) {
                if (error != null) {
                    throw error;
                }
            }
            for (int i = 0; i < indexes.length; i++) {
                out.accept(indexes[i], chunks[i]);
            }
            fetched += indexes.length;
            first = end;
        }
        return fetched;
    }

    /** Bytes {@code [from, from + length)} of an image, by one range request; exactly those, or an exception. */
    byte[] fetchRange(Digest root, long from, long length) throws IOException, InterruptedException {
        String range = "bytes=" + from + "-" + (from + length - 1);
        HttpRequest req = request(DeviceApi.imagePath(root)).setHeader("Accept", "application/octet-stream")
                .header("Range", range).GET().build();
        // the deadline allows the whole range at the minimum rate, after the wait for the headers
        Duration deadline = limits.requestTimeout().plus(limits.rateWindow())
                .plusMillis(Math.max(1, length * 1000 / limits.minBytesPerSecond()));
        HttpResponse<byte[]> r = send(req, length, deadline);
        String contentRange = r.headers().firstValue("Content-Range").orElse("");
        if (r.statusCode() != 206 || r.body().length != length
                || !contentRange.startsWith("bytes " + from + "-" + (from + length - 1) + "/")) {
            throw new WrongRangeException("GET " + req.uri().getPath() + " with Range " + range + " answered "
                    + r.statusCode() + " with " + r.body().length + " bytes (Content-Range \"" + contentRange
                    + "\"), not that range");
        }
        return r.body();
    }

    private HttpRequest post(String path, byte[] json) {
        return request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(server.resolve(path)).timeout(limits.requestTimeout())
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
    }

    private HttpResponse<byte[]> send(HttpRequest req, long maxBytes, Duration deadline)
            throws IOException, InterruptedException {
        HttpResponse<byte[]> r = BoundedExchange.send(http, req, maxBytes, deadline, limits.minBytesPerSecond(),
                limits.rateWindow());
        if (r.statusCode() / 100 != 2) {
            String body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
            throw new ServerException(r.statusCode(), req.method() + " " + req.uri().getPath() + " answered "
                    + r.statusCode() + ": " + (body.length() > 300 ? body.substring(0, 300) : body));
        }
        return r;
    }

    /**
     * Whether a failed exchange is the server or the network away for a while, so that the same request later may
     * well succeed: a refused, dropped or reset connection, a timeout or a trickle, and the answers 408, 429 and 5xx
     * (a database restarting, a server being deployed, a busy moment). Not an answer that would be the same next time:
     * another error status (the image is gone, the box is not allowed), an answer over its size bound or a range
     * request answered with something else than that range.
     */
    static boolean isTransient(IOException e) {
        if (e instanceof ServerException s) {
            return s.status() == 408 || s.status() == 429 || s.status() / 100 == 5;
        }
        return !(e instanceof WrongRangeException) && !(e instanceof BoundedExchange.TooLargeException);
    }

    /** A range request answered with something else than exactly that range (a proxy that ignores ranges). */
    static final class WrongRangeException extends IOException {
        WrongRangeException(String message) {
            super(message);
        }
    }

    /** The server answered with an error status. */
    public static final class ServerException extends IOException {
        private final int status;

        public ServerException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
