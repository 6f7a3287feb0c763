package io.picrypt.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
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

    private final HttpClient http;
    private final URI server;
    private final String keyset;
    private final String token;
    /** "name/dimension" of the embedding model, sent as X-PiCrypt-Model so the server can refuse another model's. */
    private volatile String model;

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
        this.http = newHttp();
        this.server = server;
        this.keyset = keyset;
        this.token = token;
    }

    private static HttpClient newHttp() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    public URI server() { return server; }

    /** Sets the embedding model ("name/dimension") sent with every request of this keyset (null: none). */
    public void model(String nameAndDimension) { this.model = nameAndDimension; }

    public String keyset() { return keyset; }

    /** GET /v1/health over this client's connections: true when the server answers. */
    public boolean healthy() {
        return healthy(http, server);
    }

    /** GET /v1/health: true when the server answers. */
    public static boolean healthy(URI server) {
        return healthy(newHttp(), server);
    }

    private static boolean healthy(HttpClient http, URI server) {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(server.resolve("/v1/health")).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve("/v1/keysets")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json");
        if (registrationToken != null) b.header("X-PiCrypt-Registration", registrationToken);
        HttpRequest req = b.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        JsonNode n = json(exchange(newHttp(), server, req).body());
        return new Keyset(n.path("keyset").asText(), n.path("token").asText(), n.path("params").asText());
    }

    public JsonNode keysetInfo() {
        return json(send(request("").GET().build()));
    }

    public void deleteKeyset() {
        send(request("").DELETE().build());
    }

    public Enrolled enroll(String name, byte[] template, boolean replace) {
        HttpRequest req = request("/identities/" + enc(name) + "?mode=" + (replace ? "replace" : "add"))
                .header("Content-Type", OCTET).PUT(HttpRequest.BodyPublishers.ofByteArray(template)).build();
        Reply r = exchange(http, server, req);
        JsonNode n = json(r.body());
        return new Enrolled(n.path("name").asText(), n.path("templates").asInt(), r.serverMs());
    }

    public List<Identity> list() {
        JsonNode n = json(send(request("/identities").GET().build()));
        List<Identity> out = new ArrayList<>();
        for (JsonNode i : n.path("identities")) {
            out.add(new Identity(i.path("name").asText(), i.path("templates").asInt(), Instant.parse(i.path("updated").asText())));
        }
        return out;
    }

    /** Deletes a name; false if the server did not know it. */
    public boolean delete(String name) {
        try {
            send(request("/identities/" + enc(name)).DELETE().build());
            return true;
        } catch (ClientException e) {
            if (e.status() == 404) return false;
            throw e;
        }
    }

    /** GET .../identities/{name}/templates: the name's stored template ciphertexts (for the key owner to decrypt). */
    public List<byte[]> templates(String name) {
        try {
            return io.picrypt.match.TemplateList.read(send(request("/identities/" + enc(name) + "/templates").GET().build()));
        } catch (io.picrypt.ckks.CkksException e) {
            throw new ClientException("the server's template list is malformed: " + e.getMessage());
        }
    }

    /** The encrypted distances between the probe and each template of {@code name} (a result envelope). */
    public Reply verify(String name, byte[] probe) {
        return postReply("/identities/" + enc(name) + "/verify", probe);
    }

    /** The identify frame: names and the encrypted distances to every template of the keyset. */
    public Reply identify(byte[] probe) {
        return postReply("/identify", probe);
    }

    /** PUT .../gallery/keys: the bulk gallery's evaluation keys (expansion Galois keys). */
    public void uploadGalleryKeys(byte[] keys) {
        send(request("/gallery/keys").timeout(Duration.ofMinutes(5)).header("Content-Type", OCTET)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(keys)).build());
    }

    /** POST .../gallery/blocks: imports one block of identities (names in slot order); returns the server's compute ms. */
    public double importGalleryBlock(byte[] frame) {
        return postReply("/gallery/blocks", frame).serverMs();
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
        return exchange(http, server, request("/gallery/names/" + enc(name)).header("Content-Type", OCTET)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(enrollment)).build()).serverMs();
    }

    /** DELETE .../gallery/names/{name}; false if the gallery did not hold it. */
    public boolean deleteFromGallery(String name) {
        try {
            send(request("/gallery/names/" + enc(name)).DELETE().build());
            return true;
        } catch (ClientException e) {
            if (e.status() == 404) return false;
            throw e;
        }
    }

    /** GET .../gallery: {"keys", "identities", "blocks", "stored_bytes"}. */
    public JsonNode galleryInfo() {
        return json(send(request("/gallery").GET().build()));
    }

    /** The names in the gallery, in slot order. */
    public List<String> galleryNames() {
        List<String> out = new ArrayList<>();
        for (JsonNode n : json(send(request("/gallery?names=true").GET().build())).path("names")) out.add(n.asText());
        return out;
    }

    public Reply identifyGallery(byte[] probe) {
        return postReply("/gallery/identify", probe);
    }

    /** POST .../identify/batch: a {@link io.picrypt.match.BatchFrames} request in, its answer frame out (one round trip). */
    public Reply identifyBatch(byte[] frame) {
        return postReply("/identify/batch", frame);
    }

    /** POST of a binary body under this keyset, binary answer (used by verify, identify, image-diff). */
    public byte[] post(String path, byte[] body) {
        return postReply(path, body).body();
    }

    public Reply postReply(String path, byte[] body) {
        return exchange(http, server, request(path).header("Content-Type", OCTET).timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
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
        HttpResponse<java.io.InputStream> r = transport(http, server, req, HttpResponse.BodyHandlers.ofInputStream());
        long total = r.headers().firstValueAsLong("Content-Length").orElse(-1);
        byte[] answer;
        try (java.io.InputStream in = r.body()) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(total > 0 ? (int) Math.min(total, 1 << 30) : 1 << 16);
            byte[] buf = new byte[1 << 16];
            long done = 0;
            for (int k; (k = in.read(buf)) >= 0; ) {
                out.write(buf, 0, k);
                done += k;
                download.progress(done, total);
            }
            answer = out.toByteArray();
        } catch (IOException e) {
            throw new ClientException("receiving from " + server + " failed: " + e.getMessage(), e);
        }
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
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve("/v1/keysets/" + enc(keyset) + path))
                .timeout(Duration.ofMinutes(2)).header("Authorization", "Bearer " + token);
        String m = model;
        if (m != null) b.header("X-PiCrypt-Model", m);
        return b;
    }

    private byte[] send(HttpRequest req) {
        return exchange(http, server, req).body();
    }

    private static Reply exchange(HttpClient http, URI server, HttpRequest req) {
        HttpResponse<byte[]> r = transport(http, server, req, HttpResponse.BodyHandlers.ofByteArray());
        int s = r.statusCode();
        if (s >= 200 && s < 300) {
            return new Reply(r.body(), serverMs(r), r.headers().firstValue("X-PiCrypt-Key-Check").orElse(null),
                    r.headers().firstValue("X-PiCrypt-Gallery-Key-Check").orElse(null));
        }
        throw httpError(s, r.body());
    }

    /** Sends; transport failures become one clear ClientException (HTTP error statuses are the caller's). */
    private static <T> HttpResponse<T> transport(HttpClient http, URI server, HttpRequest req, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(req, handler);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new ClientException("cannot reach the PiCrypt server at " + server + " (is it running? start it with 'picrypt server')", e);
        } catch (HttpTimeoutException e) {
            throw new ClientException("the PiCrypt server at " + server + " did not answer in time", e);
        } catch (IOException e) {
            throw new ClientException("talking to " + server + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientException("interrupted", e);
        }
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

    private static String enc(String s) {
        s = java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC); // the server stores names in NFC
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
