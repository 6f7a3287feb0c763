package io.picrypt.client.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.client.MatchSession;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceAnalyzer;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import spark.Request;
import spark.Response;
import spark.Service;

import java.util.EnumSet;
import java.util.List;

/**
 * The page's routes for issue 17, kept apart from {@link UiServer}: every face of a photo identified in one
 * batch request, the local face analyses (age, gender, expression, head pose, eyes) and the liveness check.
 * The analyses run in this client process; nothing of them is sent to the PiCrypt server.
 * <ul>
 *   <li>POST /api/analyze {image, liveness?} -> {width, height, faces: [...]} (the JSON of {@code picrypt analyze --json})</li>
 *   <li>POST /api/identify-all {image, liveness?, top?} -> {faces: [{box, name|null, best, distance | refused}], trace}</li>
 *   <li>POST /api/liveness {image} -> {live, score, threshold, box} of the largest face (422 no_face when none)</li>
 * </ul>
 */
final class FaceAnalysisRoutes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FacePipeline pipeline;
    private final MatchSession session;
    private FaceAnalyzer analyzer; // loaded on first use: the page without these features costs nothing more

    FaceAnalysisRoutes(FacePipeline pipeline, MatchSession session) {
        this.pipeline = pipeline;
        this.session = session;
    }

    void register(Service s) {
        s.post("/api/analyze", this::analyze);
        s.post("/api/identify-all", this::identifyAll);
        s.post("/api/liveness", this::liveness);
    }

    private synchronized FaceAnalyzer analyzer() {
        if (analyzer == null) analyzer = FaceAnalyzer.open(pipeline.models().dir(), EnumSet.allOf(FaceAnalyzer.Analysis.class));
        return analyzer;
    }

    private Object analyze(Request req, Response res) throws Exception {
        JsonNode b = UiRequests.jsonBody(req);
        byte[] image = UiRequests.image(b.path("image"), "the photo");
        var which = EnumSet.copyOf(FaceAnalyzer.Analysis.attributes());
        if (UiRequests.bool(b, "liveness", false)) which.add(FaceAnalyzer.Analysis.LIVENESS);
        FaceAnalyzer an = analyzer();
        ObjectNode o = JSON.createObjectNode();
        try (PointerScope scope = new PointerScope()) {
            Mat img = pipeline.imageLoader().decode(image, "the photo");
            o.put("width", img.cols()).put("height", img.rows());
            ArrayNode faces = o.putArray("faces");
            for (DetectedFace f : pipeline.detectFaces(img)) faces.add(io.picrypt.face.AnalysisJson.of(an.analyze(img, f, which)));
        }
        return json(res, o);
    }

    private Object liveness(Request req, Response res) throws Exception {
        byte[] image = UiRequests.image(UiRequests.jsonBody(req).path("image"), "the photo");
        FaceAnalyzer an = analyzer();
        try (PointerScope scope = new PointerScope()) {
            Mat img = pipeline.imageLoader().decode(image, "the photo");
            List<DetectedFace> faces = pipeline.detectFaces(img);
            if (faces.isEmpty()) throw new FaceException(FaceException.Reason.NO_FACE, "no face found in the photo");
            FaceAnalyzer.Liveness l = an.liveness(img, faces.get(0).box(), an.livenessThreshold());
            ObjectNode o = JSON.createObjectNode().put("live", l.live()).put("score", round(l.score())).put("threshold", l.threshold());
            box(o.putArray("box"), faces.get(0).box());
            return json(res, o);
        }
    }

    private Object identifyAll(Request req, Response res) throws Exception {
        JsonNode b = UiRequests.jsonBody(req);
        byte[] image = UiRequests.image(b.path("image"), "the photo");
        boolean live = UiRequests.bool(b, "liveness", false);
        int top = UiRequests.top(b.path("top")); // same rule as Identify: 0, -3, 2.5, "abc" are 400, not silently changed
        FaceAnalyzer an = live ? analyzer() : null;
        MatchSession.PhotoFaces r = session.identifyFaces(image, "the photo", top,
                an == null ? null : (img, box) -> an.liveness(img, box, an.livenessThreshold()));
        ObjectNode o = JSON.createObjectNode().put("width", r.width()).put("height", r.height());
        ArrayNode rows = o.putArray("faces");
        for (MatchSession.FaceIdentification f : r.faces()) {
            ObjectNode row = rows.addObject();
            box(row.putArray("box"), f.face().box());
            FaceAnalyzer.Liveness l = f.liveness();
            if (l != null) row.putObject("liveness").put("score", round(l.score())).put("live", l.live());
            if (!f.warnings().isEmpty()) f.warnings().forEach(row.putArray("warnings")::add);
            if (f.refused()) { // not sent: judged not live, or refused by the quality gate (e.g. too small to embed reliably)
                if (f.notLive()) row.put("refused", "not live");
                else row.put("refused", "low quality").put("reason", f.refusal());
                continue;
            }
            MatchSession.Identification id = f.identification();
            if (id.match() != null) row.put("name", id.match().name()).put("confirmed", id.confirmed());
            else row.putNull("name");
            if (id.unconfirmedWarning() != null) row.put("integrity_warning", id.unconfirmedWarning());
            if (id.best() != null) row.put("best", id.best().name()).put("distance", round(id.best().distance()));
        }
        o.put("threshold", session.threshold());
        if (r.batch() != null) {
            MatchSession.Trace t = r.batch().trace();
            o.putObject("trace").put("encrypt_ms", t.encryptMs()).put("server_ms", t.serverMs()).put("decrypt_ms", t.decryptMs())
                    .put("request_bytes", t.requestBytes()).put("response_bytes", t.responseBytes()).put("probes", r.probes()).put("requests", r.batch().requests());
        }
        return json(res, o);
    }

    private static void box(ArrayNode a, FaceBox b) {
        a.add(Math.round(b.x1())).add(Math.round(b.y1())).add(Math.round(b.x2())).add(Math.round(b.y2()));
    }

    private static double round(double v) { return Math.round(v * 1000) / 1000.0; }

    private static String json(Response res, JsonNode n) { return io.picrypt.http.Json.reply(res, n); }
}
