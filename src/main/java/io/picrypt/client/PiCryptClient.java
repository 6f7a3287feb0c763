package io.picrypt.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.http.ApiPaths;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP client of the /v1 API. It only ever sends what the server may see: ciphertexts, names, the token
 * and the parameter fingerprint. Uses the JDK's HttpClient (HTTP/1.1, or TLS with the JVM's trust store:
 * -Djavax.net.ssl.trustStore=... for a self-signed server certificate). This class is the typed API of the server's
 * routes: it builds each route's request and chooses its answer bound; {@link ServerTransport} sends it (failover,
 * retries, timeouts, bounded answers, error mapping). Thread-safe.
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

    /** Failover, retries, timeouts and answer bounds of every exchange. */
    private final ServerTransport transport;
    private final String keyset;
    private final String token;
    /** "name/dimension" of the embedding model, sent as X-PiCrypt-Model so the server can refuse another model's. */
    private volatile String model;

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
        this.transport = new ServerTransport(servers, timeouts);
        this.keyset = keyset;
        this.token = token;
    }

    /** The server requests go to first now (the one that answered last). */
    public URI server() { return transport.server(); }

    /** Every server this client may use, in order. */
    public List<URI> servers() { return transport.servers(); }

    /** Sets the retry policy of requests that are safe to repeat ({@link Retry#NONE}: one attempt per server). */
    public void retry(Retry r) { transport.retry(r); }

    /** Sets the embedding model ("name/dimension") sent with every request of this keyset (null: none). */
    public void model(String nameAndDimension) { this.model = nameAndDimension; }

    public String keyset() { return keyset; }

    /** GET /v1/health over this client's connections: true when the server answers. */
    public boolean healthy() {
        return transport.healthy();
    }

    /** GET /v1/health: true when the server answers. */
    public static boolean healthy(URI server) {
        return ServerTransport.healthy(server);
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
        JsonNode n = json(ServerTransport.exchange(ServerTransport.newHttp(), server, req, SMALL_JSON, Timeouts.DEFAULT).body());
        return new Keyset(n.path("keyset").asText(), n.path("token").asText(), n.path("params").asText());
    }

    public JsonNode keysetInfo() {
        return json(transport.send(request("").GET().build(), SMALL_JSON));
    }

    public void deleteKeyset() {
        transport.send(request("").DELETE().build(), SMALL_JSON);
    }

    public Enrolled enroll(String name, byte[] template, boolean replace) {
        HttpRequest req = request(named(ApiPaths.IDENTITY, name) + "?mode=" + (replace ? "replace" : "add"))
                .header("Content-Type", OCTET).PUT(HttpRequest.BodyPublishers.ofByteArray(template)).build();
        Reply r = transport.call(req, SMALL_JSON);
        JsonNode n = json(r.body());
        return new Enrolled(n.path("name").asText(), n.path("templates").asInt(), r.serverMs());
    }

    public List<Identity> list() {
        JsonNode n = json(transport.send(request(ApiPaths.IDENTITIES).GET().build(), LIST_JSON));
        List<Identity> out = new ArrayList<>();
        for (JsonNode i : n.path("identities")) {
            out.add(new Identity(i.path("name").asText(), i.path("templates").asInt(), Instant.parse(i.path("updated").asText())));
        }
        return out;
    }

    /** Deletes a name; false if the server did not know it. */
    public boolean delete(String name) {
        try {
            transport.send(request(named(ApiPaths.IDENTITY, name)).DELETE().build(), SMALL_JSON);
            return true;
        } catch (ClientException e) {
            if (e.status() == 404) return false;
            throw e;
        }
    }

    /** GET .../identities/{name}/templates: the name's stored template ciphertexts (for the key owner to decrypt). */
    public List<byte[]> templates(String name) {
        try {
            return io.picrypt.match.TemplateList.read(transport.send(request(named(ApiPaths.TEMPLATES, name)).GET().build(), ENCRYPTED_ANSWER));
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
        transport.send(request(ApiPaths.GALLERY_KEYS).timeout(Duration.ofMinutes(5)).header("Content-Type", OCTET)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(keys)).build(), SMALL_JSON);
    }

    /** POST .../gallery/blocks: imports one block of identities (names in slot order); returns the server's compute ms. */
    public double importGalleryBlock(byte[] frame) {
        requireGalleryLayout();
        return postReply(ApiPaths.GALLERY_BLOCKS, frame, SMALL_JSON).serverMs();
    }

    /** What {@link #deleteEverywhere} removed. */
    public record Deleted(boolean templates, boolean gallery) {
        public boolean any() { return templates || gallery; }
    }

    /** Deletes a name's 1:N gallery entry and its 1:1 templates, whichever exist ({@link IdentityDeletion#delete}: nothing on an outdated gallery). */
    public Deleted deleteEverywhere(String name) {
        return IdentityDeletion.delete(this, name);
    }

    /** PUT .../gallery/names/{name}: one identity into the gallery; returns the server's compute ms. */
    public double enrollIntoGallery(String name, byte[] enrollment) {
        return enrollIntoGallery(name, enrollment, false);
    }

    /** As above; with {@code replace}, the name's existing gallery entry (if any) is replaced in the same server-side step. */
    public double enrollIntoGallery(String name, byte[] enrollment, boolean replace) {
        requireGalleryLayout();
        return transport.call(request(named(ApiPaths.GALLERY_NAME, name) + (replace ? "?mode=replace" : "")).header("Content-Type", OCTET)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(enrollment)).build(), SMALL_JSON).serverMs();
    }

    /** DELETE .../gallery/names/{name}; false if the gallery did not hold it. */
    public boolean deleteFromGallery(String name) {
        try {
            transport.send(request(named(ApiPaths.GALLERY_NAME, name)).DELETE().build(), SMALL_JSON);
            return true;
        } catch (ClientException e) {
            if (e.status() == 404) return false;
            throw e;
        }
    }

    /**
     * DELETE .../gallery: drops the keyset's whole 1:N gallery (every block, name and pending enrollment; the gallery
     * evaluation keys stay), in one server-side transaction, whatever layout it is stored in. Not repeated on a failure
     * (a repeat could drop what another client enrolled meanwhile).
     */
    public void dropGallery() {
        transport.send(request(ApiPaths.GALLERY).DELETE().build(), SMALL_JSON);
    }

    /**
     * GET .../gallery: {"keys", "identities", "blocks", "stored_bytes"}, and "outdated": true (with a "message") when the
     * gallery is stored in the layout of an earlier picrypt version: then every other gallery route answers 409
     * {@code gallery_outdated} until the key owner rebuilds it ({@link MatchSession#rebuildGallery(boolean, java.util.function.IntConsumer)}).
     */
    public JsonNode galleryInfo() {
        return json(transport.send(request(ApiPaths.GALLERY).GET().build(), SMALL_JSON));
    }

    private volatile boolean layoutChecked;

    /**
     * Once per client, before its first gallery write or probe: the server must keep its 1:N gallery in this client's
     * layout ({@link io.picrypt.match.GalleryParameters#LAYOUT}, reported by GET .../gallery). A server of an older
     * version (no "layout": 512-value vectors) would store this client's 256-value enrollments without complaint, where
     * no client could ever find them, so nothing is sent to it.
     *
     * @throws ClientException naming both layouts and what to upgrade
     */
    void requireGalleryLayout() {
        if (!layoutChecked) checkLayout(galleryInfo());
    }

    /**
     * Before an enrollment stores anything (its 1:1 template comes first, its gallery entry second): the server's gallery
     * must be of this client's layout ({@link #requireGalleryLayout}) and not outdated, so that a refusal leaves nothing
     * half-done (a stored template without its gallery entry).
     *
     * @throws ClientException naming what to upgrade, or (409, {@code gallery_outdated}) that 'picrypt gallery rebuild' comes first
     */
    public void requireGalleryWritable() {
        JsonNode info = galleryInfo();
        checkLayout(info);
        if (info.path("outdated").asBoolean()) {
            throw new ClientException("nothing was stored: " + info.path("message").asText("this keyset's 1:N gallery is stored in an older layout")
                    + "; run 'picrypt gallery rebuild' first", 409, "gallery_outdated", null);
        }
    }

    private void checkLayout(JsonNode info) {
        if (layoutChecked) return;
        int theirs = info.path("layout").asInt(1);
        int ours = io.picrypt.match.GalleryParameters.LAYOUT;
        if (theirs != ours) {
            throw new ClientException("the server at " + server() + " keeps its 1:N gallery in layout " + theirs + " and this client in layout " + ours
                    + (theirs < ours ? " (256 values per face): upgrade picrypt on the server before the clients" : ": upgrade picrypt on this client")
                    + "; nothing was sent to its gallery");
        }
        layoutChecked = true;
    }

    /** The names in the gallery, in slot order. */
    public List<String> galleryNames() {
        List<String> out = new ArrayList<>();
        for (JsonNode n : json(transport.send(request(ApiPaths.GALLERY + "?names=true").GET().build(), LIST_JSON)).path("names")) out.add(n.asText());
        return out;
    }

    /** GET .../gallery/blocks/{n}: a stored block with the names of its live slots (PCGB), for the key owner's compaction. */
    public byte[] galleryBlock(int n) {
        return transport.send(request(ApiPaths.fill(ApiPaths.GALLERY_BLOCK, Integer.toString(n))).timeout(Duration.ofMinutes(5)).GET().build(), 64L << 20);
    }

    /** POST .../gallery/compact: replaces the whole gallery by the owner's fresh blocks (PCGC); the server's JSON answer. */
    public JsonNode compactGallery(byte[] frame) {
        requireGalleryLayout();
        return json(transport.send(request(ApiPaths.GALLERY_COMPACT).timeout(Duration.ofMinutes(30)).header("Content-Type", OCTET)
                .POST(HttpRequest.BodyPublishers.ofByteArray(frame)).build(), SMALL_JSON));
    }

    public Reply identifyGallery(byte[] probe) {
        requireGalleryLayout();
        return postReply(ApiPaths.GALLERY_IDENTIFY, probe, ENCRYPTED_ANSWER);
    }

    /** POST .../identify/batch: a {@link io.picrypt.match.BatchFrames} request in, its answer frame out (one round trip). */
    public Reply identifyBatch(byte[] frame) {
        // several identify answers in one frame: bounded like one identify answer (512 MiB in all)
        requireGalleryLayout();
        return postReply(ApiPaths.IDENTIFY_BATCH, frame, ENCRYPTED_ANSWER);
    }

    /** POST of a binary body under this keyset, binary answer (used by verify, gallery identify, image-diff). */
    public byte[] post(String path, byte[] body) {
        return postReply(path, body, ENCRYPTED_ANSWER).body();
    }

    /** POST of a binary body; answers longer than {@code maxAnswer} bytes are refused as they arrive. */
    public Reply postReply(String path, byte[] body, long maxAnswer) {
        return transport.call(request(path).header("Content-Type", OCTET).timeout(Duration.ofMinutes(10))
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
        // the difference of two images is one encrypted image: never more than what was sent
        return transport.postLarge(request(path).header("Content-Type", OCTET).timeout(Duration.ofMinutes(30)), body, upload,
                2L * body.length + SMALL_JSON, download);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server().resolve(ApiPaths.fill(ApiPaths.KEYSET, keyset) + path))
                .timeout(Duration.ofMinutes(2)).header("Authorization", "Bearer " + token);
        String m = model;
        if (m != null) b.header("X-PiCrypt-Model", m);
        // the server refuses gallery ciphertexts of another layout (an older client's 512-value vectors would give wrong distances)
        b.header(ApiPaths.GALLERY_LAYOUT_HEADER, Integer.toString(io.picrypt.match.GalleryParameters.LAYOUT));
        return b;
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
