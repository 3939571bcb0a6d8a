package org.stbguest.agent;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One HTTP exchange whose answer the box reads within bounds, whatever the other end does: at most {@code maxBytes}
 * of body (a longer answer is cut off and refused, never buffered), done within a deadline, and never slower than a
 * minimum rate over a sliding window (an answer trickling a byte a second is abandoned after one window, as curl's
 * {@code --speed-limit}). An error answer's body is read only up to {@link #ERROR_BODY_BYTES} for its message.
 * The caller's thread waits and polls the progress; nothing else is needed to enforce the bounds.
 */
final class BoundedExchange {

    /** How much of an error answer's body is kept for the message. */
    static final int ERROR_BODY_BYTES = 4096;
    private static final long POLL_MILLIS = 100;

    /** The answer went over its size bound. */
    static final class TooLargeException extends IOException {
        TooLargeException(String message) {
            super(message);
        }
    }

    /** The answer came too slowly or not within its deadline. */
    static final class TooSlowException extends HttpTimeoutException {
        TooSlowException(String message) {
            super(message);
        }
    }

    private BoundedExchange() {
    }

    /**
     * Sends {@code request} and reads the answer within the bounds.
     *
     * @param maxBytes     the most body bytes a successful (2xx) answer may have
     * @param deadline     the longest the whole exchange may take, headers and body
     * @param minRate      the fewest bytes per second the body must arrive at, over each {@code window}
     * @param window       the rate's window; the first window after the headers is free
     */
    static HttpResponse<byte[]> send(HttpClient http, HttpRequest request, long maxBytes, Duration deadline,
                                     long minRate, Duration window) throws IOException, InterruptedException {
        Body body = new Body(maxBytes);
        CompletableFuture<HttpResponse<byte[]>> answer = http.sendAsync(request, body);
        long start = System.nanoTime();
        long end = start + deadline.toNanos();
        long windowNanos = window.toNanos();
        long windowStart = start;
        long bytesAtWindowStart = 0;
        while (true) {
            try {
                return answer.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                long now = System.nanoTime();
                if (now - end >= 0) {
                    throw abort(answer, body, new TooSlowException(what(request) + " did not finish within "
                            + deadline.toMillis() + " ms (" + body.received.get() + " body bytes read)"));
                }
                long bodyStart = body.startedAt;
                if (bodyStart != 0 && now - Math.max(windowStart, bodyStart) >= windowNanos) {
                    long got = body.received.get() - bytesAtWindowStart;
                    double seconds = (now - Math.max(windowStart, bodyStart)) / 1e9;
                    if (got < minRate * seconds) {
                        throw abort(answer, body, new TooSlowException(what(request) + " answered at "
                                + Math.round(got / seconds) + " B/s, below the minimum " + minRate + " B/s"));
                    }
                    windowStart = now;
                    bytesAtWindowStart = body.received.get();
                }
            } catch (InterruptedException e) {
                abort(answer, body, new IOException("interrupted"));
                throw e;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) {
                    // keep the type (too large, timeouts) but say which exchange it was
                    throw io;
                }
                throw new IOException(what(request) + " failed: " + cause, cause);
            }
        }
    }

    private static IOException abort(CompletableFuture<?> answer, Body body, IOException why) {
        body.abort(why);
        answer.cancel(true);
        return why;
    }

    private static String what(HttpRequest r) {
        return r.method() + " " + r.uri().getPath();
    }

    /** Chooses the bounded reader for a success and the truncating one for an error. */
    private static final class Body implements HttpResponse.BodyHandler<byte[]> {
        final long maxBytes;
        final AtomicLong received = new AtomicLong();
        volatile long startedAt;
        volatile Reader reader;

        Body(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        @Override
        public HttpResponse.BodySubscriber<byte[]> apply(HttpResponse.ResponseInfo info) {
            startedAt = System.nanoTime();
            boolean success = info.statusCode() / 100 == 2;
            long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            Reader r = new Reader(success ? maxBytes : ERROR_BODY_BYTES, success, received);
            reader = r;
            if (success && declared > maxBytes) {
                r.fail(new TooLargeException("the answer declares " + declared + " bytes, more than the "
                        + maxBytes + " allowed"));
            }
            return r;
        }

        void abort(IOException why) {
            Reader r = reader;
            if (r != null) {
                r.fail(why);
            }
        }
    }

    /**
     * Collects at most {@code limit} bytes. Past it, a success answer fails with {@link TooLargeException} and an
     * error answer is simply cut short; either way the subscription is cancelled, which closes the connection.
     */
    private static final class Reader implements HttpResponse.BodySubscriber<byte[]> {
        private final long limit;
        private final boolean refuseExcess;
        private final AtomicLong received;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private byte[] buffer = new byte[1024];
        private int length;
        private volatile Flow.Subscription subscription;
        private volatile boolean done;

        Reader(long limit, boolean refuseExcess, AtomicLong received) {
            this.limit = limit;
            this.refuseExcess = refuseExcess;
            this.received = received;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (done) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE); // bounded by cancelling past the limit, not by back-pressure
            }
        }

        @Override
        public synchronized void onNext(List<ByteBuffer> items) {
            if (done) {
                return;
            }
            for (ByteBuffer b : items) {
                int n = b.remaining();
                received.addAndGet(n);
                if ((long) length + n > limit) {
                    if (refuseExcess) {
                        fail(new TooLargeException("the answer is longer than the " + limit + " bytes allowed"));
                    } else {
                        append(b, (int) (limit - length));
                        finish();
                    }
                    return;
                }
                append(b, n);
            }
        }

        private void append(ByteBuffer b, int n) {
            if (length + n > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, (int) Math.min(limit, Math.max(buffer.length * 2L,
                        (long) length + n)));
            }
            b.get(buffer, length, n);
            length += n;
        }

        private synchronized void finish() {
            if (!done) {
                done = true;
                cancelSubscription();
                result.complete(java.util.Arrays.copyOf(buffer, length));
            }
        }

        synchronized void fail(IOException e) {
            if (!done) {
                done = true;
                buffer = null;
                cancelSubscription();
                result.completeExceptionally(e);
            }
        }

        private void cancelSubscription() {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }

        @Override
        public void onError(Throwable t) {
            fail(t instanceof IOException io ? io : new IOException(t));
        }

        @Override
        public synchronized void onComplete() {
            if (!done) {
                done = true;
                result.complete(java.util.Arrays.copyOf(buffer, length));
            }
        }
    }
}
