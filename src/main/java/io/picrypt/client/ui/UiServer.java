package io.picrypt.client.ui;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.ckks.CkksException;
import io.picrypt.client.ClientException;
import io.picrypt.client.EnrollmentSafety;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import io.picrypt.image.ImageLoader;
import io.picrypt.match.MatchParameters;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spark.Request;
import spark.Response;
import spark.Service;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The local web UI: a sparkjava service on 127.0.0.1 that serves one static page (src/main/resources/ui)
 * and a small JSON API for it. It runs in the client process, which holds the secret key: photos travel
 * only browser -> this process; embedding, encryption, decryption and decisions happen here, and the
 * PiCrypt server only ever receives ciphertexts (through {@link MatchSession}).
 *
 * <p><b>Who may call the API.</b> Any web page the user visits can send requests to 127.0.0.1, and any
 * local user can connect to the port. So every /api request must carry a per-run random token in the
 * {@code X-PiCrypt-Token} header. The token is not in the served files: it is in the URL fragment printed
 * by {@code picrypt ui} ({@code http://127.0.0.1:PORT/#token=...}; fragments are never sent to servers nor in
 * Referer headers) and the page keeps it in sessionStorage. Other origins cannot read our pages or responses
 * (no CORS headers), and a custom header makes their cross-site requests need a CORS preflight we never
 * grant. The Host header must be 127.0.0.1:PORT or localhost:PORT (defeats DNS rebinding, where a hostile
 * name resolves to 127.0.0.1 and becomes "same origin"), and an Origin header, when present, must be ours.
 * CSP forbids framing (clickjacking) and any script but our own.
 */
public final class UiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UiServer.class);
    /** Largest request body: a few phone photos as base64 JSON. */
    public static final long MAX_BODY_BYTES = 48L << 20;
    /** Most photos in one enrollment. */
    public static final int MAX_ENROLL_PHOTOS = 10;
    public static final String TOKEN_HEADER = "X-PiCrypt-Token";
    static final String HOST = "127.0.0.1";
    private static final ObjectMapper JSON = jsonMapper();
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            + "media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    private static final Map<String, String> ASSETS = Map.of(
            "/", "index.html", "/index.html", "index.html", "/app.js", "app.js", "/style.css", "style.css",
            "/faces.js", "faces.js", "/favicon.svg", "favicon.svg");
    /** Most results in one identification ("Show top"). */
    public static final int MAX_TOP = 100;

    private final PiCryptClient http;
    private final MatchSession session;
    private final FacePipeline pipeline;
    private final ImageDiffer differ;
    private final String token;
    private final Map<String, byte[]> assets;
    private Service service;
    private volatile int boundPort;
    private volatile Set<String> allowedHosts = Set.of();
    private volatile Set<String> allowedOrigins = Set.of();

    /**
     * @param http     the PiCrypt server connection (list, delete, status)
     * @param session  the match session holding the secret key (enroll, verify, identify)
     * @param pipeline face detection and embedding
     * @param differ   the image difference, or null when this build has none
     */
    public UiServer(PiCryptClient http, MatchSession session, FacePipeline pipeline, ImageDiffer differ) {
        this.http = http;
        this.session = session;
        this.pipeline = pipeline;
        this.differ = differ;
        byte[] t = new byte[24];
        new SecureRandom().nextBytes(t);
        this.token = HexFormat.of().formatHex(t);
        Map<String, byte[]> a = new HashMap<>();
        for (String file : Set.copyOf(ASSETS.values())) a.put(file, resource(file));
        this.assets = Map.copyOf(a);
    }

    private static ObjectMapper jsonMapper() {
        ObjectMapper m = new ObjectMapper();
        // base64 photos are long strings; the body limit bounds the total anyway
        m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxStringLength((int) MAX_BODY_BYTES).build());
        return m;
    }

    private static byte[] resource(String file) {
        try (InputStream in = UiServer.class.getResourceAsStream("/ui/" + file)) {
            if (in == null) throw new IllegalStateException("ui/" + file + " is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts on 127.0.0.1:{@code port} (0 = a free port). */
    public synchronized UiServer start(int port) {
        if (service != null) throw new IllegalStateException("already started");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535");
        AtomicReference<Exception> failure = new AtomicReference<>();
        Service s = Service.ignite().ipAddress(HOST).port(port).threadPool(8, 2, 60_000);
        s.initExceptionHandler(failure::set); // spark's default handler would System.exit
        routes(s);
        s.init();
        s.awaitInitialization();
        if (failure.get() != null) {
            s.stop();
            throw new ClientException("cannot listen on " + HOST + ":" + port + " (" + failure.get().getMessage()
                    + "); is another 'picrypt ui' running? try --port 0", failure.get());
        }
        int p = s.port();
        boundPort = p;
        allowedHosts = Set.of(HOST + ":" + p, "localhost:" + p);
        allowedOrigins = Set.of("http://" + HOST + ":" + p, "http://localhost:" + p);
        service = s;
        log.info("PiCrypt UI on http://{}:{}/ (server {}, keyset {})", HOST, p, http.server(), http.keyset());
        return this;
    }

    public int port() {
        if (service == null) throw new IllegalStateException("not started");
        return service.port();
    }

    /** The per-run API token (also in {@link #url()}). */
    public String token() { return token; }

    /** The address to open: the page plus the token in the fragment. */
    public String url() { return "http://" + HOST + ":" + port() + "/#token=" + token; }

    @Override
    public synchronized void close() {
        if (service != null) {
            service.stop();
            service.awaitStop();
            service = null;
        }
    }

    // ------------------------------------------------------------------ routes

    private void routes(Service s) {
        s.before((req, res) -> {
            res.header("Content-Security-Policy", CSP);
            res.header("X-Content-Type-Options", "nosniff");
            res.header("X-Frame-Options", "DENY");
            res.header("Referrer-Policy", "no-referrer");
            res.header("Cache-Control", "no-store");
            String host = req.headers("Host");
            if (host == null || !allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
                s.halt(403, errorJson(res, "forbidden_host", "this UI only answers to http://" + HOST + ":" + boundPort + "/"));
            }
            String origin = req.headers("Origin");
            if (origin != null && !allowedOrigins.contains(origin)) {
                s.halt(403, errorJson(res, "forbidden_origin", "requests from other web pages are refused"));
            }
            // deny by default: only the page's own files are served without the token (a prefix test on the raw path
            // was bypassed by "//api/...", which the router normalises but startsWith does not)
            if ("GET".equals(req.requestMethod()) && "/favicon.ico".equals(req.pathInfo())) {
                s.halt(204); // browsers ask on their own (no token); the page links favicon.svg
            }
            if (!("GET".equals(req.requestMethod()) && ASSETS.containsKey(req.pathInfo()))) {
                String t = req.headers(TOKEN_HEADER);
                if (t == null || !MessageDigest.isEqual(t.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
                    s.halt(403, errorJson(res, "bad_token", "missing or wrong access token: open the address printed by 'picrypt ui' (it ends in #token=...)"));
                }
            }
        });
        for (var e : ASSETS.entrySet()) {
            s.get(e.getKey(), (req, res) -> {
                res.type(contentType(e.getValue()));
                return assets.get(e.getValue());
            });
        }
        s.get("/api/status", this::status);
        s.get("/api/identities", this::identities);
        s.delete("/api/identities/:name", (req, res) -> {
            String name = req.params(":name");
            PiCryptClient.Deleted d = http.deleteEverywhere(name);
            if (!d.any()) throw new UiException(404, "not_found", "no identity named '" + name + "'" + suggestion(name));
            return json(res, JSON.createObjectNode().put("deleted", name).put("templates", d.templates()).put("gallery", d.gallery()));
        });
        s.post("/api/detect", this::detect);
        s.post("/api/enroll", this::enroll);
        s.post("/api/verify", this::verify);
        s.post("/api/identify", this::identify);
        s.post("/api/diff", this::diff);
        new FaceAnalysisRoutes(pipeline, session).register(s); // issue 17: every face, analyses, liveness

        s.exception(UiException.class, (e, req, res) -> error(res, e.status, e.code, e.getMessage()));
        s.exception(EnrollmentSafety.Refused.class, (e, req, res) -> {
            ObjectNode o = JSON.createObjectNode()
                    .put("error", e.kind() == EnrollmentSafety.Kind.MIXED_PHOTOS ? "mixed_photos" : "new_face")
                    .put("message", e.getMessage()).put("threshold", e.threshold());
            if (!Double.isNaN(e.distance())) o.put("distance", e.distance());
            ArrayNode pairs = o.putArray("pairs");
            for (EnrollmentSafety.Pair p : e.pairs()) pairs.addObject().put("first", p.first() + 1).put("second", p.second() + 1).put("distance", p.distance());
            res.status(409);
            res.body(json(res, o));
        });
        s.exception(FaceException.class, (e, req, res) -> {
            switch (e.reason()) {
                case NO_FACE -> error(res, 422, "no_face", e.getMessage());
                case LOW_QUALITY -> error(res, 422, "low_quality", e.getMessage());
                case TOO_LARGE -> error(res, 413, "too_large", e.getMessage());
                case EMPTY, NOT_AN_IMAGE, CORRUPT -> error(res, 400, "not_an_image", e.getMessage());
                default -> {
                    log.error("face pipeline failure on {}: {}", req.pathInfo(), e.getMessage());
                    error(res, 500, "face_pipeline", e.getMessage());
                }
            }
        });
        s.exception(io.picrypt.image.ImageException.class, (e, req, res) -> { // the shared loader (detect decodes directly)
            switch (e.reason()) {
                case TOO_LARGE -> error(res, 413, "too_large", e.getMessage());
                case IO -> error(res, 500, "io", e.getMessage());
                default -> error(res, 400, "not_an_image", e.getMessage());
            }
        });
        s.exception(ClientException.class, (e, req, res) -> {
            Throwable c = e.getCause();
            String m = plain(e.getMessage());
            if (c instanceof ConnectException || c instanceof HttpConnectTimeoutException) {
                error(res, 502, "server_down", m);
            } else if (e.status() == 404) {
                error(res, 404, "not_found", m);
            } else if (e.status() == 400 || e.status() == 413) {
                error(res, 400, "rejected_by_server", m);
            } else {
                error(res, 502, "server_error", m);
            }
        });
        s.exception(CkksException.class, (e, req, res) -> error(res, 502, "bad_server_response",
                "the server's encrypted answer could not be decrypted: " + e.getMessage()));
        s.exception(IllegalArgumentException.class, (e, req, res) -> error(res, 400, "bad_request", e.getMessage()));
        s.exception(Exception.class, (e, req, res) -> {
            log.error("internal error on {} {}", req.requestMethod(), req.pathInfo(), e);
            error(res, 500, "internal", "internal error: " + e);
        });
        s.notFound((req, res) -> errorJson(res, 404, "not_found", "no route " + req.requestMethod() + " " + req.pathInfo()));
        s.internalServerError((req, res) -> errorJson(res, 500, "internal", "internal error"));
    }

    private Object status(Request req, Response res) {
        ObjectNode o = JSON.createObjectNode().put("server", http.server().toString()).put("keyset", http.keyset())
                .put("reachable", http.healthy())
                .put("model", pipeline.modelName()).put("dimension", pipeline.dimension())
                .put("threshold", session.threshold())
                .put("params", MatchParameters.get().fingerprintHex())
                .put("diffAvailable", differ != null)
                .put("maxBodyBytes", MAX_BODY_BYTES).put("maxEnrollPhotos", MAX_ENROLL_PHOTOS).put("maxTop", MAX_TOP)
                .put("maxPixels", ImageLoader.DEFAULT_MAX_PIXELS).put("diffMaxPixels", differ == null || differ.maxPixels() == Long.MAX_VALUE ? 0 : differ.maxPixels());
        return json(res, o);
    }

    private Object identities(Request req, Response res) {
        ArrayNode arr = JSON.createArrayNode();
        for (PiCryptClient.Identity i : http.list()) {
            arr.addObject().put("name", i.name()).put("templates", i.templates()).put("updated", i.updated().toString());
        }
        ObjectNode o = JSON.createObjectNode();
        o.set("identities", arr);
        // the bulk 1:N gallery can hold 100,000s: only its size is shown
        o.put("gallery", http.galleryInfo().path("identities").asInt());
        return json(res, o);
    }

    /** Face boxes for drawing, in pixels of the EXIF-oriented image (as browsers display it). */
    private Object detect(Request req, Response res) {
        byte[] image = image(jsonBody(req).path("image"), "image");
        long t0 = System.nanoTime();
        ObjectNode o = JSON.createObjectNode();
        ArrayNode faces = o.putArray("faces");
        try (PointerScope scope = new PointerScope()) {
            Mat bgr = pipeline.imageLoader().decode(image, "the photo");
            o.put("width", bgr.cols()).put("height", bgr.rows());
            for (DetectedFace f : pipeline.detectFaces(bgr)) faces.add(box(f.box()));
        }
        o.put("ms", ms(t0));
        ArrayNode w = o.putArray("warnings");
        if (faces.isEmpty()) w.add("no face found: use a photo with a clearly visible, roughly frontal face");
        else if (faces.size() > 1) w.add(faces.size() + " faces found: the largest (green) will be used");
        return json(res, o);
    }

    private Object enroll(Request req, Response res) {
        JsonNode b = jsonBody(req);
        String name = name(b);
        JsonNode imgs = b.path("images");
        if (!imgs.isArray() || imgs.isEmpty()) throw new UiException(400, "bad_request", "choose at least one photo to enroll");
        if (imgs.size() > MAX_ENROLL_PHOTOS) throw new UiException(400, "bad_request", "at most " + MAX_ENROLL_PHOTOS + " photos per enrollment");
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < imgs.size(); i++) images.add(image(imgs.get(i), "photo " + (i + 1)));
        EnrollmentSafety.Overrides overrides = new EnrollmentSafety.Overrides(bool(b, "allowMixedPhotos", false), bool(b, "allowNewFace", false));
        MatchSession.Enrollment e = session.enrollImages(name, images, bool(b, "replace", true), overrides);
        ObjectNode o = JSON.createObjectNode().put("name", e.name()).put("photos", e.photos()).put("templates", e.templates());
        e.warnings().forEach(o.putArray("warnings")::add);
        o.set("trace", trace(e.trace()));
        return json(res, o);
    }

    private Object verify(Request req, Response res) {
        JsonNode b = jsonBody(req);
        String name = name(b);
        byte[] image = image(b.path("image"), "the photo");
        MatchSession.OnPhoto<MatchSession.Verification> r;
        try {
            r = session.verifyPhoto(name, image, "the photo");
        } catch (ClientException e) {
            if (e.status() != 404) throw e;
            throw new UiException(404, "not_found", "nobody is enrolled as '" + name + "'" + suggestion(name));
        }
        MatchSession.Verification v = r.result();
        ObjectNode o = JSON.createObjectNode().put("name", v.name()).put("match", v.match()).put("distance", v.distance())
                .put("threshold", v.threshold()).put("templates", v.templates());
        face(o, r.face());
        o.set("trace", trace(v.trace()));
        return json(res, o);
    }

    private Object identify(Request req, Response res) {
        JsonNode b = jsonBody(req);
        byte[] image = image(b.path("image"), "the photo");
        int top = top(b.path("top"));
        MatchSession.OnPhoto<MatchSession.Identification> p = session.identifyPhoto(image, "the photo", top);
        MatchSession.Identification r = p.result();
        ObjectNode o = JSON.createObjectNode().put("threshold", r.threshold()).put("identities", r.identities());
        ArrayNode ranked = o.putArray("ranked");
        for (MatchSession.Candidate c : r.ranked()) {
            ranked.addObject().put("name", c.name()).put("distance", c.distance()).put("match", c.distance() <= r.threshold());
        }
        if (r.match() != null) o.put("match", r.match().name());
        else o.putNull("match");
        face(o, p.face());
        o.set("trace", trace(r.trace()));
        return json(res, o);
    }

    /**
     * The image difference with live progress. Bad input (undecodable, different sizes, too large) is a normal
     * JSON error with a 4xx status, since the differ checks before its first progress report. From the first report
     * on, the answer is 200 application/x-ndjson: lines {"phase","done","total","elapsedMs"} (at most ~10 a second),
     * then one {"result": {"difference": data URL, "width", "height", "timingsMs", "notes"}} or one
     * {"error", "message"}. Only the difference is sent back: the page already has both inputs.
     */
    private Object diff(Request req, Response res) throws IOException {
        if (differ == null) throw new UiException(501, "diff_unavailable", "image difference not available in this build");
        JsonNode b = jsonBody(req);
        byte[] before = image(b.path("before"), "the 'before' photo");
        byte[] after = image(b.path("after"), "the 'after' photo");
        DiffStream stream = new DiffStream(res, System.nanoTime());
        ImageDiffer.DiffResult d;
        try {
            d = differ.diff(before, after, stream);
        } catch (RuntimeException e) {
            if (!stream.started()) throw e; // answered by the exception handlers, with a proper status
            log.warn("image difference failed after it started: {}", e.toString());
            String code = e instanceof IllegalArgumentException ? "bad_request" : e instanceof ClientException ? "server_error" : "internal";
            try {
                stream.line(JSON.createObjectNode().put("error", code).put("message", plain(String.valueOf(e.getMessage()))));
            } catch (UncheckedIOException gone) {
                // the page went away (that is usually why we are here): nobody to tell
            }
            return "";
        }
        ObjectNode o = JSON.createObjectNode();
        ObjectNode r = o.putObject("result").put("difference", dataUrl(d.differencePng())).put("width", d.width()).put("height", d.height());
        ObjectNode timings = r.putObject("timingsMs");
        d.timingsMs().forEach(timings::put);
        d.notes().forEach(r.putArray("notes")::add);
        stream.line(o);
        return "";
    }

    /** Writes progress lines; the response is committed (status 200) at the first one. */
    private static final class DiffStream implements ImageDiffer.Progress {
        private final Response res;
        private final long t0;
        private OutputStream out;
        private String lastPhase;
        private long lastNanos;

        DiffStream(Response res, long t0) {
            this.res = res;
            this.t0 = t0;
        }

        synchronized boolean started() { return out != null; }

        @Override
        public synchronized void update(String phase, long done, long total) {
            long now = System.nanoTime();
            boolean last = total > 0 && done >= total;
            if (phase.equals(lastPhase) && !last && now - lastNanos < 100_000_000L) return; // ~10 lines a second at most
            lastPhase = phase;
            lastNanos = now;
            line(JSON.createObjectNode().put("phase", phase).put("done", done).put("total", total).put("elapsedMs", (now - t0) / 1e6));
        }

        synchronized void line(JsonNode n) {
            try {
                if (out == null) {
                    res.status(200);
                    res.raw().setContentType("application/x-ndjson");
                    out = res.raw().getOutputStream();
                }
                out.write(JSON.writeValueAsBytes(n));
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("the page went away", e); // the browser closed: stop the work
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * An optional JSON boolean; absent/null = {@code dflt}. Anything else is a 400: Jackson's asBoolean read
     * replace:"no" as true (replace) and allowNewFace:1 as true (override a safety rule).
     */
    static boolean bool(JsonNode body, String field, boolean dflt) {
        JsonNode n = body.path(field);
        if (n.isMissingNode() || n.isNull()) return dflt;
        if (!n.isBoolean()) throw new UiException(400, "bad_request", "'" + field + "' must be true or false");
        return n.booleanValue();
    }

    /** "Show top": a whole number 1..MAX_TOP; absent means 5. */
    static int top(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) return 5;
        if (!n.canConvertToInt() || !(n.isIntegralNumber() || n.isTextual() && n.asText().matches("\\d+"))) {
            throw new UiException(400, "bad_request", "'show top' must be a whole number from 1 to " + MAX_TOP);
        }
        int t = n.asInt();
        if (t < 1 || t > MAX_TOP) throw new UiException(400, "bad_request", "'show top' must be a whole number from 1 to " + MAX_TOP);
        return t;
    }

    /** Names are exact (case and inner spaces count); a differently-cased enrolled name is suggested. */
    private String suggestion(String name) {
        try {
            for (PiCryptClient.Identity i : http.list()) {
                if (i.name().equalsIgnoreCase(name) && !i.name().equals(name)) return "; names are case-sensitive: did you mean '" + i.name() + "'?";
            }
        } catch (ClientException e) {
            // only a hint: the 404 stands on its own
        }
        return "";
    }

    /** A server error message for people: without the "server: " prefix and the "(HTTP 404)" suffix. */
    static String plain(String message) {
        String m = message == null ? "" : message.replaceFirst("^server: ", "").replaceFirst(" \\(HTTP \\d{3}\\)$", "");
        return m;
    }

    private static String name(JsonNode b) {
        String n = b.path("name").asText("").strip();
        if (n.isEmpty()) throw new UiException(400, "bad_request", "enter a name");
        return n;
    }

    /** A base64 image, optionally as a data: URL (what FileReader and canvas.toDataURL produce). */
    static byte[] image(JsonNode n, String what) {
        if (n == null || !n.isTextual() || n.asText().isEmpty()) throw new UiException(400, "bad_request", "choose " + what);
        String s = n.asText();
        if (s.startsWith("data:")) {
            int comma = s.indexOf(',');
            if (comma < 0 || !s.substring(0, comma).endsWith(";base64")) throw new UiException(400, "not_an_image", what + " is not a base64 data URL");
            s = s.substring(comma + 1);
        }
        try {
            byte[] b = Base64.getMimeDecoder().decode(s);
            if (b.length == 0) throw new UiException(400, "not_an_image", what + " is empty");
            return b;
        } catch (IllegalArgumentException e) {
            throw new UiException(400, "not_an_image", what + " is not valid base64");
        }
    }

    private static ObjectNode box(FaceBox b) {
        return JSON.createObjectNode().put("x1", b.x1()).put("y1", b.y1()).put("x2", b.x2()).put("y2", b.y2()).put("score", b.score());
    }

    private static void face(ObjectNode o, FaceEmbedding e) {
        o.set("face", box(e.face().box()));
        o.put("faceCount", e.faceCount());
        ArrayNode w = o.putArray("warnings");
        if (e.multipleFaces()) w.add(e.faceCount() + " faces in the photo: the largest was used");
        e.warnings().forEach(w::add); // quality gate: blurred, turned, lower face covered
    }

    private static ObjectNode trace(MatchSession.Trace t) {
        return JSON.createObjectNode().put("embedMs", t.embedMs()).put("encryptMs", t.encryptMs()).put("serverMs", t.serverMs())
                .put("decryptMs", t.decryptMs()).put("requestBytes", t.requestBytes()).put("responseBytes", t.responseBytes());
    }

    private static String dataUrl(byte[] png) { return "data:image/png;base64," + Base64.getEncoder().encodeToString(png); }

    static JsonNode jsonBody(Request req) {
        long declared = req.raw().getContentLengthLong();
        if (declared > MAX_BODY_BYTES) throw tooLarge();
        byte[] body;
        try (InputStream in = req.raw().getInputStream()) {
            body = in.readNBytes((int) MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw new UiException(400, "bad_request", "could not read the request: " + e.getMessage());
        }
        if (body.length > MAX_BODY_BYTES) throw tooLarge();
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) throw new UiException(400, "bad_request", "expected a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw new UiException(400, "bad_request", "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UiException(400, "bad_request", "malformed JSON");
        }
    }

    private static UiException tooLarge() {
        return new UiException(413, "too_large", "the photos are too large together: at most " + (MAX_BODY_BYTES >> 20) + " MiB per request");
    }

    private static String contentType(String file) {
        if (file.endsWith(".html")) return "text/html; charset=utf-8";
        if (file.endsWith(".js")) return "text/javascript; charset=utf-8";
        if (file.endsWith(".css")) return "text/css; charset=utf-8";
        if (file.endsWith(".svg")) return "image/svg+xml";
        return "application/octet-stream";
    }

    private static String json(Response res, JsonNode node) {
        res.type("application/json");
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void error(Response res, int status, String code, String message) {
        res.body(errorJson(res, status, code, message));
    }

    private static String errorJson(Response res, int status, String code, String message) {
        res.status(status);
        return errorJson(res, code, message);
    }

    private static String errorJson(Response res, String code, String message) {
        res.type("application/json");
        return JSON.createObjectNode().put("error", code).put("message", message == null ? code : message).toString();
    }

    private static double ms(long t0) { return (System.nanoTime() - t0) / 1e6; }

    /** An error answered as JSON with a status and a stable code. */
    static final class UiException extends RuntimeException {
        final int status;
        final String code;

        UiException(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }
}
