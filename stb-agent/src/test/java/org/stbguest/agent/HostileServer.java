package org.stbguest.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP server on loopback that plays the part of a malicious operator server or a man in the middle: each
 * test sets what it answers. Counts the bytes it managed to write, so a test can tell that the box hung up.
 */
public final class HostileServer implements AutoCloseable {

    /** What the server does with one exchange. */
    interface Behaviour {
        void handle(HttpExchange exchange) throws IOException, InterruptedException;
    }

    final AtomicLong bytesWritten = new AtomicLong();
    final AtomicLong requests = new AtomicLong();
    /** Set when a write failed because the box closed the connection. */
    final java.util.concurrent.atomic.AtomicBoolean hungUp = new java.util.concurrent.atomic.AtomicBoolean();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-server");
        t.setDaemon(true);
        return t;
    });
    private volatile Behaviour behaviour = ex -> ex.sendResponseHeaders(404, -1);

    /** A new server on a free loopback port, for a field initializer. */
    static HostileServer start() {
        try {
            return new HostileServer();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    HostileServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(threads);
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            try {
                behaviour.handle(ex);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                hungUp.set(true); // the box hung up: that is what most tests want
            } finally {
                ex.close();
            }
        });
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    void answer(Behaviour b) {
        behaviour = b;
    }

    /** What it answers now, for a test that changes some answers and passes the others on. */
    Behaviour behaviour() {
        return behaviour;
    }

    /** Writes {@code total} bytes (endless when negative) in pieces, counting what got out. */
    void stream(HttpExchange ex, int status, long total) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, 0); // chunked: no length announced
        byte[] piece = new byte[64 * 1024];
        java.util.Arrays.fill(piece, (byte) ' ');
        OutputStream out = ex.getResponseBody();
        long left = total < 0 ? Long.MAX_VALUE : total;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // bounded even if nobody hangs up
        while (left > 0 && System.nanoTime() < deadline) {
            int n = (int) Math.min(piece.length, left);
            out.write(piece, 0, n);
            bytesWritten.addAndGet(n);
            left -= n;
        }
        out.close();
    }

    /** Sends the headers, then one byte every {@code everyMillis}, for at most 30 s. */
    void trickle(HttpExchange ex, long everyMillis) throws IOException, InterruptedException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            out.write(' ');
            out.flush();
            bytesWritten.incrementAndGet();
            Thread.sleep(everyMillis); // the hostile end's own pace, not a test waiting for a condition
        }
    }

    static void json(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
