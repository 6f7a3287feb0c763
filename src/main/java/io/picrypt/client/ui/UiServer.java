package io.picrypt.client.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.client.ClientException;
import io.picrypt.client.EnrollmentSafety;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.face.FacePipeline;
import io.picrypt.http.ApiException;
import io.picrypt.http.Json;
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
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static io.picrypt.client.ui.UiRequests.bool;
import static io.picrypt.client.ui.UiRequests.image;
import static io.picrypt.client.ui.UiRequests.jsonBody;
import static io.picrypt.client.ui.UiRequests.name;
import static io.picrypt.client.ui.UiRequests.plain;
import static io.picrypt.client.ui.UiRequests.top;

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
    private static final ObjectMapper JSON = UiRequests.JSON;
    /** Most results in one identification ("Show top"). */
    public static final int MAX_TOP = 100;

    private final PiCryptClient http;
    private final MatchSession session;
    private final FacePipeline pipeline;
    private final ImageDiffer differ;
    private final UiGuard guard = new UiGuard();
    private final UiAssets assets = new UiAssets();
    private Service service;

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
        guard.bound(p);
        service = s;
        log.info("PiCrypt UI on http://{}:{}/ (server {}, keyset {})", HOST, p, http.server(), http.keyset());
        return this;
    }

    public int port() {
        if (service == null) throw new IllegalStateException("not started");
        return service.port();
    }

    /** The per-run API token (also in {@link #url()}). */
    public String token() { return guard.token(); }

    /** The address to open: the page plus the token in the fragment. */
    public String url() { return "http://" + HOST + ":" + port() + "/#token=" + guard.token(); }

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
        guard.install(s);
        assets.register(s);
        s.get("/api/status", this::status);
        s.get("/api/identities", this::identities);
        s.delete("/api/identities/:name", (req, res) -> {
            String name = req.params(":name");
            PiCryptClient.Deleted d = io.picrypt.client.IdentityDeletion.delete(http, name); // nothing deleted on an outdated gallery
            if (!d.any()) throw new ApiException(404, "not_found", "no identity named '" + name + "'" + suggestion(name));
            return json(res, JSON.createObjectNode().put("deleted", name).put("templates", d.templates()).put("gallery", d.gallery()));
        });
        s.post("/api/detect", this::detect);
        s.post("/api/enroll", this::enroll);
        s.post("/api/verify", this::verify);
        s.post("/api/identify", this::identify);
        s.post("/api/diff", this::diff);
        new FaceAnalysisRoutes(pipeline, session).register(s); // issue 17: every face, analyses, liveness

        UiErrors.install(s);
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

    /** Gallery sizes up to which the identities card compares the gallery's names with the 1:1 names. */
    static final int GALLERY_NAMES_SHOWN = 20_000;

    private Object identities(Request req, Response res) {
        ArrayNode arr = JSON.createArrayNode();
        List<PiCryptClient.Identity> ids = http.list();
        for (PiCryptClient.Identity i : ids) {
            arr.addObject().put("name", i.name()).put("templates", i.templates()).put("updated", i.updated().toString());
        }
        ObjectNode o = JSON.createObjectNode();
        o.set("identities", arr);
        // the bulk 1:N gallery can hold 100,000s: its size always, its names only while small enough to fetch on every
        // refresh; then the page can tell the imported (1:N only) names from the enrolled ones, and flag an enrolled name
        // the gallery lacks (an enrollment interrupted before its gallery step: identify cannot find it)
        com.fasterxml.jackson.databind.JsonNode info = http.galleryInfo();
        int gallery = info.path("identities").asInt();
        o.put("gallery", gallery);
        if (info.path("outdated").asBoolean()) { // stored by an earlier version: identify refuses it until it is rebuilt
            o.put("outdated", true).put("outdated_message", UiRequests.plain(info.path("message").asText()));
        }
        if (gallery <= GALLERY_NAMES_SHOWN) {
            var coverage = io.picrypt.client.GalleryCoverage.of(ids, gallery == 0 ? List.of() : http.galleryNames());
            ArrayNode missing = o.putArray("not_in_gallery");
            coverage.notInGallery().forEach(missing::add);
            o.put("gallery_only", coverage.galleryOnly().size());
        }
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
        if (!imgs.isArray() || imgs.isEmpty()) throw new ApiException(400, "bad_request", "choose at least one photo to enroll");
        if (imgs.size() > MAX_ENROLL_PHOTOS) throw new ApiException(400, "bad_request", "at most " + MAX_ENROLL_PHOTOS + " photos per enrollment");
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
            throw new ApiException(404, "not_found", "nobody is enrolled as '" + name + "'" + suggestion(name));
        }
        MatchSession.Verification v = r.result();
        ObjectNode o = JSON.createObjectNode().put("name", v.name()).put("match", v.match()).put("distance", v.distance())
                .put("threshold", v.threshold()).put("templates", v.templates());
        face(o, r.face());
        if (v.integrityWarning() != null) ((ArrayNode) o.put("integrity_warning", v.integrityWarning()).get("warnings")).insert(0, v.integrityWarning());
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
        if (r.match() != null) {
            // confirmed: the name's own checked 1:1 templates agree with the gallery; else the page shows why not
            o.put("match", r.match().name()).put("confirmed", r.confirmed());
        } else {
            o.putNull("match");
        }
        face(o, p.face());
        if (r.unconfirmedWarning() != null) ((ArrayNode) o.put("integrity_warning", r.unconfirmedWarning()).get("warnings")).insert(0, r.unconfirmedWarning());
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
        if (differ == null) throw new ApiException(501, "diff_unavailable", "image difference not available in this build");
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

    private static String json(Response res, JsonNode node) { return Json.reply(res, node); }

    private static String dataUrl(byte[] png) { return "data:image/png;base64," + Base64.getEncoder().encodeToString(png); }

    private static double ms(long t0) { return (System.nanoTime() - t0) / 1e6; }
}
