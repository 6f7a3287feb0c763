package io.picrypt.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.http.ApiPaths;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP client of the /v1 API. It only ever sends what the server may see: ciphertexts, names, the token
 * and the parameter fingerprint. Uses the JDK's HttpClient (HTTP/1.1, or TLS with the JVM's trust store:
 * -Djavax.net.ssl.trustStore=... for a self-signed server certificate).
 */
public final class PiCryptClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OCTET = "application/octet-stream";

    /**
     * Largest answers accepted, by what was asked (the server is untrusted: a longer answer is refused as it
     * arrives, never buffered). JSON replies are small; a list is bounded by the server's identity quota (100,000
     * names of at most 64 characters, ~150 bytes of JSON each, fits 32 MiB); encrypted answers by a multiple of
     * what was sent (see docs/PROTOCOL.md, "Answer bounds").
     */
    static final long SMALL_JSON = 64 << 10, LIST_JSON = 32L << 20, ENCRYPTED_ANSWER = 512L << 20;
    /** A verify answer holds at most 32 per-template results, each no larger than the probe. */
    static final int VERIFY_FACTOR = 40;

    private final HttpClient http;
    /** The servers this client may use (cluster members), in order of preference; at least one. */
    private final List<URI> servers;
    /** Index into {@link #servers} of the one that answered last: requests go there first. */
    private volatile int current;
    private volatile Retry retry = Retry.DEFAULT;
    private final String keyset;
    private final String token;
    /** "name/dimension" of the embedding model, sent as X-PiCrypt-Model so the server can refuse another model's. */
    private volatile String model;
    private final Timeouts timeouts;

    /**
     * How long the client waits: {@code stall} without a byte of the answer once it started, and at most
     * {@code scale} times each call's own deadline (2 min for small calls, 10 min for encrypted ones, 30 min for
     * image difference) for the whole exchange. Tests shorten both.
     */
    public record Timeouts(Duration stall, double scale) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(30), 1.0);
    }

    /**
     * How a request that is safe to repeat (GETs, verify, identify) rides out a cluster that is briefly unable to
     * answer: an answer 503 (cluster_unavailable, busy, store_unavailable) or 429 is retried up to {@code attempts}
     * times in all, after the server's Retry-After or else an exponential backoff from {@code firstBackoff} (doubling,
     * at most 5 s), as long as the waits add up to at most {@code maxWait}. Any request whose connection is refused
     * (it never reached the server) goes to the next server of the list; a safe one also does when the exchange broke
     * off midway.
     */
    public record Retry(int attempts, Duration firstBackoff, Duration maxWait) {
        public static final Retry DEFAULT = new Retry(10, Duration.ofMillis(500), Duration.ofSeconds(45));
        public static final Retry NONE = new Retry(1, Duration.ZERO, Duration.ZERO);

        public Retry {
            if (attempts < 1 || firstBackoff.isNegative() || maxWait.isNegative()) throw new IllegalArgumentException("bad retry policy");
        }
    }

    public record Keyset(String id, String token, String params) {}

    public record Identity(String name, int templates, Instant updated) {}

    public record Enrolled(String name, int templates, double serverMs) {}

    /**
     * A binary answer, the server's own compute time for it (X-PiCrypt-Server-Ms; NaN if absent) and the
     * key-check values the keyset was created with (X-PiCrypt-Key-Check / X-PiCrypt-Gallery-Key-Check; null if absent).
     */
    public record Reply(byte[] body, double serverMs, String keyCheck, String galleryKeyCheck) {
        public Reply(byte[] body, double serverMs) {
            this(body, serverMs, null, null);
        }
    }

    public PiCryptClient(ClientConfig c) {
        this(c.server(), c.keyset(), c.token());
    }

    public PiCryptClient(URI server, String keyset, String token) {
        this(server, keyset, token, Timeouts.DEFAULT);
    }

    public PiCryptClient(URI server, String keyset, String token, Timeouts timeouts) {
        this(List.of(server), keyset, token, timeouts);
    }

    /**
     * A client of several servers that answer for the same keysets (members of one cluster, docs/PROTOCOL.md "Cluster"):
     * requests go to the first that answers, and fail over to the next as {@link Retry} says.
     */
    public PiCryptClient(List<URI> servers, String keyset, String token, Timeouts timeouts) {
        if (servers == null || servers.isEmpty()) throw new IllegalArgumentException("no server URL");
        this.http = newHttp();
        this.servers = List.copyOf(servers);
        this.keyset = keyset;
        this.token = token;
        this.timeouts = timeouts;
    }

    private static HttpClient newHttp() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** The server requests go to first now (the one that answered last). */
    public URI server() { return servers.get(current); }

    /** Every server this client may use, in order. */
    public List<URI> servers() { return servers; }

    /** Sets the retry policy of requests that are safe to repeat ({@link Retry#NONE}: one attempt per server). */
    public void retry(Retry r) { this.retry = java.util.Objects.requireNonNull(r); }

    /** Sets the embedding model ("name/dimension") sent with every request of this keyset (null: none). */
    public void model(String nameAndDimension) { this.model = nameAndDimension; }

    public String keyset() { return keyset; }

    /** GET /v1/health over this client's connections: true when the server answers. */
    public boolean healthy() {
        return healthy(http, server());
    }

    /** GET /v1/health: true when the server answers. */
    public static boolean healthy(URI server) {
        return healthy(newHttp(), server);
    }

    private static boolean healthy(HttpClient http, URI server) {
        try {
            HttpResponse<byte[]> r = bounded(http, server, HttpRequest.newBuilder(server.resolve(ApiPaths.HEALTH)).timeout(Duration.ofSeconds(5)).GET().build(),
                    SMALL_JSON, Transfer.NONE, new Timeouts(Duration.ofSeconds(5), 1.0));
            return r.statusCode() == 200;
        } catch (ClientException e) {
            return false;
        }
    }

    /** POST /v1/keysets: registers a keyset for the given parameters; the token is shown only here. */
    public static Keyset createKeyset(URI server, String paramsFingerprint) {
        return createKeyset(server, paramsFingerprint, null);
    }

    /** As above, on a server with closed registration: {@code registrationToken} is its secret (or null). */
    public static Keyset createKeyset(URI server, String paramsFingerprint, String registrationToken) {
        return createKeyset(server, paramsFingerprint, registrationToken, null, null);
    }

    /**
     * As above, registering the key-check values of the secret keys (see {@link KeyDirectory#keyCheck}); the
     * server returns them with every answer so a client holding another key refuses to decide.
     */
    public static Keyset createKeyset(URI server, String paramsFingerprint, String registrationToken, String keyCheck, String galleryKeyCheck) {
        var o = JSON.createObjectNode().put("params", paramsFingerprint);
        if (keyCheck != null) o.put("key_check", keyCheck);
        if (galleryKeyCheck != null) o.put("gallery_key_check", galleryKeyCheck);
        byte[] body = o.toString().getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(ApiPaths.KEYSETS)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json");
        if (registrationToken != null) b.header("X-PiCrypt-Registration", registrationToken);
        HttpRequest req = b.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        JsonNode n = json(exchange(newHttp(), server, req, SMALL_JSON, Timeouts.DEFAULT).body());
        return new Keyset(n.path("keyset").asText(), n.path("token").asText(), n.path("params").asText());
    }

    public JsonNode keysetInfo() {
        return json(send(request("").GET().build(), SMALL_JSON));
    }

    public void deleteKeyset() {
        send(request("").DELETE().build(), SMALL_JSON);
    }

    public Enrolled enroll(String name, byte[] template, boolean replace) {
        HttpRequest req = request(named(ApiPaths.IDENTITY, name) + "?mode=" + (replace ? "replace" : "add"))
                .header("Content-Type", OCTET).PUT(HttpRequest.BodyPublishers.ofByteArray(template)).build();
        Reply r = call(req, SMALL_JSON);
        JsonNode n = json(r.body());
        return new Enrolled(n.path("name").asText(), n.path("templates").asInt(), r.serverMs());
    }

    public List<Identity> list() {
        JsonNode n = json(send(request(ApiPaths.IDENTITIES).GET().build(), LIST_JSON));
        List<Identity> out = new ArrayList<>();
        for (JsonNode i : n.path("identities")) {
            out.add(new Identity(i.path("name").asText(), i.path("templates").asInt(), Instant.parse(i.path("updated").asText())));
        }
        return out;
    }

    /** Deletes a name; false if the server did not know it. */
    public boolean delete(String name) {
        try {
            send(request(named(ApiPaths.IDENTITY, name)).DELETE().build(), SMALL_JSON);
            return true;
        } catch (ClientException e) {
            if (e.status() == 404) return false;
            throw e;
        }
    }

    /** GET .../identities/{name}/templates: the name's stored template ciphertexts (for the key owner to decrypt). */
    public List<byte[]> templates(String name) {
        try {
            return io.picrypt.match.TemplateList.read(send(request(named(ApiPaths.TEMPLATES, name)).GET().build(), ENCRYPTED_ANSWER));
        } catch (io.picrypt.ckks.CkksException e) {
            throw new ClientException("the server's template list is malformed: " + e.getMessage());
        }
    }

    /** The encrypted distances between the probe and each template of {@code name} (a result envelope). */
    public Reply verify(String name, byte[] probe) {
        return postReply(named(ApiPaths.VERIFY, name), probe, (long) VERIFY_FACTOR * probe.length + SMALL_JSON);
    }


    /** PUT .../gallery/keys: the bulk gallery's evaluation keys (expansion Galois keys). */
    public void uploadGalleryKeys(byte[] keys) {
        send(request(ApiPaths.GALLERY_KEYS).timeout(Duration.ofMinutes(5)).header("Content-Type", OCTET)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(keys)).build(), SMALL_JSON);
    }

    /** POST .../gallery/blocks: imports one block of identities (names in slot order); returns the server's compute ms. */
    public double importGalleryBlock(byte[] frame) {
        return postReply(ApiPaths.GALLERY_BLOCKS, frame, SMALL_JSON).serverMs();
    }

    /** What {@link #deleteEverywhere} removed. */
    public record Deleted(boolean templates, boolean gallery) {
        public boolean any() { return templates || gallery; }
    }

    /** Deletes a name's 1:1 templates and its 1:N gallery entry, whichever exist. */
    public Deleted deleteEverywhere(String name) {
        boolean templates = delete(name);
        boolean gallery = galleryInfo().path("keys").asBoolean() && deleteFromGallery(name);
        return new Deleted(templates, gallery);
    }

    /** PUT .../gallery/names/{name}: one identity into the gallery; returns the server's compute ms. */
    public double enrollIntoGallery(String name, byte[] enrollment) {
        return enrollIntoGallery(name, enrollment, false);
    }

    /** As above; with {@code replace}, the name's existing gallery entry (if any) is replaced in the same server-side step. */
    public double enrollIntoGallery(String name, byte[] enrollment, boolean replace) {
        return call(request(named(ApiPaths.GALLERY_NAME, name) + (replace ? "?mode=replace" : "")).header("Content-Type", OCTET)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(enrollment)).build(), SMALL_JSON).serverMs();
    }

    /** DELETE .../gallery/names/{name}; false if the gallery did not hold it. */
    public boolean deleteFromGallery(String name) {
        try {
            send(request(named(ApiPaths.GALLERY_NAME, name)).DELETE().build(), SMALL_JSON);
            return true;
        } catch (ClientException e) {
            if (e.status() == 404) return false;
            throw e;
        }
    }

    /** GET .../gallery: {"keys", "identities", "blocks", "stored_bytes"}. */
    public JsonNode galleryInfo() {
        return json(send(request(ApiPaths.GALLERY).GET().build(), SMALL_JSON));
    }

    /** The names in the gallery, in slot order. */
    public List<String> galleryNames() {
        List<String> out = new ArrayList<>();
        for (JsonNode n : json(send(request(ApiPaths.GALLERY + "?names=true").GET().build(), LIST_JSON)).path("names")) out.add(n.asText());
        return out;
    }

    /** GET .../gallery/blocks/{n}: a stored block with the names of its live slots (PCGB), for the key owner's compaction. */
    public byte[] galleryBlock(int n) {
        return send(request(ApiPaths.fill(ApiPaths.GALLERY_BLOCK, Integer.toString(n))).timeout(Duration.ofMinutes(5)).GET().build(), 64L << 20);
    }

    /** POST .../gallery/compact: replaces the whole gallery by the owner's fresh blocks (PCGC); the server's JSON answer. */
    public JsonNode compactGallery(byte[] frame) {
        return json(send(request(ApiPaths.GALLERY_COMPACT).timeout(Duration.ofMinutes(30)).header("Content-Type", OCTET)
                .POST(HttpRequest.BodyPublishers.ofByteArray(frame)).build(), SMALL_JSON));
    }

    public Reply identifyGallery(byte[] probe) {
        return postReply(ApiPaths.GALLERY_IDENTIFY, probe, ENCRYPTED_ANSWER);
    }

    /** POST .../identify/batch: a {@link io.picrypt.match.BatchFrames} request in, its answer frame out (one round trip). */
    public Reply identifyBatch(byte[] frame) {
        // several identify answers in one frame: bounded like one identify answer (512 MiB in all)
        return postReply(ApiPaths.IDENTIFY_BATCH, frame, ENCRYPTED_ANSWER);
    }

    /** POST of a binary body under this keyset, binary answer (used by verify, gallery identify, image-diff). */
    public byte[] post(String path, byte[] body) {
        return postReply(path, body, ENCRYPTED_ANSWER).body();
    }

    /** POST of a binary body; answers longer than {@code maxAnswer} bytes are refused as they arrive. */
    public Reply postReply(String path, byte[] body, long maxAnswer) {
        return call(request(path).header("Content-Type", OCTET).timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), maxAnswer);
    }

    /** Bytes moved so far of a transfer's total (total -1 when unknown). */
    @FunctionalInterface
    public interface Transfer {
        Transfer NONE = (done, total) -> {};

        void progress(long done, long total);
    }

    /**
     * Like {@link #postReply} for large bodies: reports upload progress as the body is streamed and download
     * progress as the answer arrives.
     */
    public Reply postLarge(String path, byte[] body, Transfer upload, Transfer download) {
        HttpRequest req = request(path).header("Content-Type", OCTET).timeout(Duration.ofMinutes(30))
                .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new CountingInput(new java.io.ByteArrayInputStream(body), body.length, upload)), body.length))
                .build();
        // the difference of two images is one encrypted image: never more than what was sent
        HttpResponse<byte[]> r = bounded(http, server(), req, 2L * body.length + SMALL_JSON, download, timeouts);
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

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server().resolve(ApiPaths.fill(ApiPaths.KEYSET, keyset) + path))
                .timeout(Duration.ofMinutes(2)).header("Authorization", "Bearer " + token);
        String m = model;
        if (m != null) b.header("X-PiCrypt-Model", m);
        return b;
    }

    private byte[] send(HttpRequest req, long maxAnswer) {
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
    private Reply call(HttpRequest req, long maxAnswer) {
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

    private static Reply exchange(HttpClient http, URI server, HttpRequest req, long maxAnswer, Timeouts timeouts) {
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
        String message = "HTTP " + status;
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.has("message")) message = n.path("message").asText() + " (HTTP " + status + ")";
        } catch (IOException ignored) {
            // not our JSON error: keep the status line
        }
        return new ClientException("server: " + message, status, null);
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

    private static JsonNode json(byte[] b) {
        try {
            return JSON.readTree(b);
        } catch (IOException e) {
            throw new ClientException("the server sent malformed JSON", e);
        }
    }

    /** A path under the keyset with the name in NFC (the server stores names in NFC), percent-encoded. */
    private static String named(String template, String name) {
        return ApiPaths.fill(template, java.text.Normalizer.normalize(name, java.text.Normalizer.Form.NFC));
    }
}
