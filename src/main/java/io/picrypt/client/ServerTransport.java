package io.picrypt.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.client.PiCryptClient.Reply;
import io.picrypt.client.PiCryptClient.Retry;
import io.picrypt.client.PiCryptClient.Timeouts;
import io.picrypt.client.PiCryptClient.Transfer;
import io.picrypt.http.ApiPaths;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;

/**
 * The HTTP transport under {@link PiCryptClient}: sends a built request to the cluster's servers with failover and
 * retries ({@link Retry}), reads every answer through a bounded body subscriber within the {@link Timeouts}, streams
 * large uploads and downloads with progress ({@link Transfer}), and maps failures and HTTP error statuses to one
 * {@link ClientException}. The server is untrusted: an answer longer than the caller's bound is refused as it
 * arrives, never buffered. Thread-safe: the server that answered last and the retry policy are volatile; the JDK's
 * HttpClient is shared.
 */
final class ServerTransport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    /** The servers this client may use (cluster members), in order of preference; at least one. */
    private final List<URI> servers;
    /** Index into {@link #servers} of the one that answered last: requests go there first. */
    private volatile int current;
    private volatile Retry retry = Retry.DEFAULT;
    private final Timeouts timeouts;

    /** @throws IllegalArgumentException for a null or empty server list */
    ServerTransport(List<URI> servers, Timeouts timeouts) {
        if (servers == null || servers.isEmpty()) throw new IllegalArgumentException("no server URL");
        this.http = newHttp();
        this.servers = List.copyOf(servers);
        this.timeouts = timeouts;
    }

    static HttpClient newHttp() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** The server requests go to first now (the one that answered last). */
    URI server() { return servers.get(current); }

    /** Every server this client may use, in order. */
    List<URI> servers() { return servers; }

    /** Sets the retry policy of requests that are safe to repeat ({@link Retry#NONE}: one attempt per server). */
    void retry(Retry r) { this.retry = java.util.Objects.requireNonNull(r); }

    /** GET /v1/health over this transport's connections: true when the server answers. */
    boolean healthy() {
        return healthy(http, server());
    }

    /** GET /v1/health: true when the server answers. */
    static boolean healthy(URI server) {
        return healthy(newHttp(), server);
    }

    private static boolean healthy(HttpClient http, URI server) {
        try {
            HttpResponse<byte[]> r = bounded(http, server, HttpRequest.newBuilder(server.resolve(ApiPaths.HEALTH)).timeout(Duration.ofSeconds(5)).GET().build(),
                    PiCryptClient.SMALL_JSON, Transfer.NONE, new Timeouts(Duration.ofSeconds(5), 1.0));
            return r.statusCode() == 200;
        } catch (ClientException e) {
            return false;
        }
    }

    /**
     * Streams {@code body} as the POST body of {@code request} to the current server (no failover: one attempt),
     * reporting upload progress as it is sent and download progress as the answer of at most {@code maxAnswer}
     * bytes arrives.
     */
    Reply postLarge(HttpRequest.Builder request, byte[] body, Transfer upload, long maxAnswer, Transfer download) {
        HttpRequest req = request.POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new CountingInput(new java.io.ByteArrayInputStream(body), body.length, upload)), body.length))
                .build();
        HttpResponse<byte[]> r = bounded(http, server(), req, maxAnswer, download, timeouts);
        byte[] answer = r.body();
        int s = r.statusCode();
        if (s < 200 || s >= 300) throw httpError(s, answer);
        return new Reply(answer, serverMs(r));
    }

    private static final class CountingInput extends java.io.FilterInputStream {
        private final long total;
        private final Transfer progress;
        private long done;

        CountingInput(java.io.InputStream in, long total, Transfer progress) {
            super(in);
            this.total = total;
            this.progress = progress;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int k = super.read(b, off, Math.min(len, 1 << 16));
            if (k > 0) {
                done += k;
                progress.progress(done, total);
            }
            return k;
        }
    }

    /** The answer's body of {@link #call}. */
    byte[] send(HttpRequest req, long maxAnswer) {
        return call(req, maxAnswer).body();
    }

    /** Requests whose repetition changes nothing: reads, verify and identify (their answers are computed, not stored). */
    static boolean safeToRepeat(HttpRequest req) {
        if (req.method().equals("GET")) return true;
        String p = req.uri().getRawPath();
        return req.method().equals("POST") && (p.endsWith("/verify") || p.endsWith(ApiPaths.GALLERY_IDENTIFY) || p.endsWith(ApiPaths.IDENTIFY_BATCH));
    }

    /** The same request to another server (method, headers, body publisher and timeout are kept). */
    private static HttpRequest retarget(HttpRequest req, URI server) {
        URI u = req.uri();
        URI to = server.resolve(u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery()));
        return HttpRequest.newBuilder(req, (name, value) -> true).uri(to).build();
    }

    /** A 503 or 429 that says the server (cluster) could not answer now; repeating a safe request later may succeed. */
    private static boolean transient_(int status, byte[] body) {
        if (status == 429) return true;
        if (status != 503) return false;
        try {
            String code = JSON.readTree(body).path("error").asText("");
            return code.equals("cluster_unavailable") || code.equals("busy") || code.equals("store_unavailable");
        } catch (IOException | RuntimeException e) {
            return false; // not our JSON: a proxy's page, not retried
        }
    }

    /**
     * Sends {@code req} to the servers as {@link Retry} says: the server that answered last first; on a refused
     * connection (the request never arrived) the next one, for any request; on a broken exchange the next one for
     * a request that is safe to repeat; a transient 503/429 of a safe request is retried after Retry-After or a
     * backoff. Throws the last failure when every server failed or the retry budget is spent.
     */
    Reply call(HttpRequest req, long maxAnswer) {
        boolean safe = safeToRepeat(req);
        Retry policy = retry;
        long waited = 0;
        Duration backoff = policy.firstBackoff();
        int n = servers.size();
        for (int attempt = 1; ; attempt++) {
            RuntimeException last = null;
            long waitMs = -1;
            int start = current;
            for (int k = 0; k < n; k++) {
                int i = (start + k) % n;
                URI s = servers.get(i);
                HttpResponse<byte[]> r;
                try {
                    r = bounded(http, s, k == 0 && s.equals(serverOf(req)) ? req : retarget(req, s), maxAnswer, Transfer.NONE, timeouts);
                } catch (Unreachable e) {
                    last = e;
                    continue; // never reached that server: any request may go to the next
                } catch (ClientException e) {
                    if (!safe || e.status() != 0 || n == 1 || Thread.currentThread().isInterrupted()) throw e;
                    last = e;
                    continue; // broke off midway: only a request safe to repeat goes to the next server
                }
                current = i;
                int st = r.statusCode();
                if (st >= 200 && st < 300) {
                    return new Reply(r.body(), serverMs(r), r.headers().firstValue("X-PiCrypt-Key-Check").orElse(null),
                            r.headers().firstValue("X-PiCrypt-Gallery-Key-Check").orElse(null));
                }
                ClientException err = httpError(st, r.body());
                if (!safe || !transient_(st, r.body())) throw err;
                last = err;
                waitMs = r.headers().firstValue("Retry-After").map(v -> {
                    try {
                        return Math.min(30_000L, Math.max(0L, Long.parseLong(v.trim()) * 1000));
                    } catch (NumberFormatException bad) {
                        return -1L;
                    }
                }).orElse(-1L);
                break; // this server answered: wait, then start again from it
            }
            if (waitMs < 0 && last instanceof Unreachable) throw last; // no server reachable: say so now
            if (waitMs < 0) waitMs = backoff.toMillis();
            if (attempt >= policy.attempts() || waited + waitMs > policy.maxWait().toMillis()) throw last;
            try {
                Thread.sleep(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClientException("interrupted", e);
            }
            waited += waitMs;
            backoff = Duration.ofMillis(Math.min(5_000, Math.max(1, backoff.toMillis() * 2)));
        }
    }

    private static URI serverOf(HttpRequest req) {
        URI u = req.uri();
        return URI.create(u.getScheme() + "://" + u.getRawAuthority());
    }

    /** The connection was refused or not made in time: the request never reached that server. */
    private static final class Unreachable extends ClientException {
        Unreachable(String message, Throwable cause) { super(message, cause); }
    }

    /** One exchange with one server, no failover or retry: the answer of a 2xx, else its HTTP error. */
    static Reply exchange(HttpClient http, URI server, HttpRequest req, long maxAnswer, Timeouts timeouts) {
        HttpResponse<byte[]> r = bounded(http, server, req, maxAnswer, Transfer.NONE, timeouts);
        int s = r.statusCode();
        if (s >= 200 && s < 300) {
            return new Reply(r.body(), serverMs(r), r.headers().firstValue("X-PiCrypt-Key-Check").orElse(null),
                    r.headers().firstValue("X-PiCrypt-Gallery-Key-Check").orElse(null));
        }
        throw httpError(s, r.body());
    }

    /** The answer was longer than what was asked for allows. */
    private static final class TooLarge extends IOException {
        TooLarge(long max) { super("the server's answer exceeds " + max + " bytes, more than this request can produce"); }
    }

    /**
     * Sends and receives at most {@code maxAnswer} bytes, within the request's deadline (times the scale) and
     * with no pause longer than the stall timeout once the answer started; an interrupt (Ctrl-C) cancels the
     * exchange. Transport failures become one clear ClientException (HTTP error statuses are the caller's).
     */
    private static HttpResponse<byte[]> bounded(HttpClient http, URI server, HttpRequest req, long maxAnswer,
                                                Transfer download, Timeouts timeouts) {
        java.util.concurrent.atomic.AtomicReference<Bounded> body = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> cf = http.sendAsync(req, info -> {
            Bounded b = new Bounded(maxAnswer, info.headers().firstValueAsLong("Content-Length").orElse(-1), download);
            body.set(b);
            return b;
        });
        long deadline = System.nanoTime() + (long) (req.timeout().orElse(Duration.ofMinutes(2)).toNanos() * timeouts.scale());
        try {
            while (true) {
                try {
                    return cf.get(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    long now = System.nanoTime();
                    Bounded b = body.get();
                    if (now > deadline || (b != null && now - b.lastProgress > timeouts.stall().toNanos())) {
                        cf.cancel(true);
                        throw new ClientException("the PiCrypt server at " + server + (b != null && now <= deadline
                                ? " stopped sending its answer (nothing for " + timeouts.stall().toSeconds() + " s)" : " did not answer in time"));
                    }
                }
            }
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            for (Throwable t = c; t != null; t = t.getCause()) if (t instanceof TooLarge) throw new ClientException(t.getMessage(), t);
            if (c instanceof ConnectException || c instanceof HttpConnectTimeoutException || c.getCause() instanceof ConnectException) {
                throw new Unreachable("cannot reach the PiCrypt server at " + server + " (is it running? start it with 'picrypt server')", c);
            }
            if (c instanceof HttpTimeoutException) throw new ClientException("the PiCrypt server at " + server + " did not answer in time", c);
            throw new ClientException("talking to " + server + " failed: " + c.getMessage(), c);
        } catch (InterruptedException e) {
            cf.cancel(true);
            Thread.currentThread().interrupt();
            throw new ClientException("interrupted", e);
        }
    }

    /** Collects an answer up to a limit; the first byte beyond it cancels the exchange. */
    private static final class Bounded implements HttpResponse.BodySubscriber<byte[]> {
        private final long max, total;
        private final Transfer progress;
        private final java.util.concurrent.CompletableFuture<byte[]> result = new java.util.concurrent.CompletableFuture<>();
        private final java.io.ByteArrayOutputStream out;
        private java.util.concurrent.Flow.Subscription subscription;
        private long size;
        volatile long lastProgress = System.nanoTime();

        Bounded(long max, long declared, Transfer progress) {
            this.max = max;
            this.total = declared;
            this.progress = progress;
            this.out = new java.io.ByteArrayOutputStream((int) Math.max(256, Math.min(Math.min(declared, max), 1 << 20)));
        }

        @Override
        public java.util.concurrent.CompletionStage<byte[]> getBody() { return result; }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            subscription = s;
            if (total > max) {
                s.cancel();
                result.completeExceptionally(new TooLarge(max));
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<java.nio.ByteBuffer> items) {
            if (result.isDone()) return;
            for (java.nio.ByteBuffer b : items) {
                size += b.remaining();
                if (size > max) {
                    subscription.cancel();
                    result.completeExceptionally(new TooLarge(max));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.writeBytes(chunk);
            }
            lastProgress = System.nanoTime();
            progress.progress(size, total);
            subscription.request(1);
        }

        @Override
        public void onError(Throwable t) { result.completeExceptionally(t); }

        @Override
        public void onComplete() { result.complete(out.toByteArray()); }
    }

    /** The server's JSON error message when there is one, else the status line. */
    private static ClientException httpError(int status, byte[] body) {
        String message = "HTTP " + status, code = null;
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.has("message")) message = n.path("message").asText() + " (HTTP " + status + ")";
            if (n != null && n.path("error").isTextual()) code = n.path("error").asText();
        } catch (IOException ignored) {
            // not our JSON error: keep the status line
        }
        return new ClientException("server: " + message, status, code, null);
    }

    private static double serverMs(HttpResponse<?> r) {
        return r.headers().firstValue("X-PiCrypt-Server-Ms").map(v -> {
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }).orElse(Double.NaN);
    }
}
