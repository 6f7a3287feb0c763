package io.picrypt.face;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The face-related entries of {@code models/manifest.json}: every preprocessing constant of every stage
 * comes from here, so another embedding model (FaceNet 160x160, another ArcFace export) is a manifest entry
 * and {@code --model NAME}, not a code change. See models/README.md for the keys.
 */
public record FaceModels(Path dir, Detector detector, Landmark landmark, List<Embedding> embeddings) {
    /**
     * The default embedding model's calibrated threshold on squared distance (models/manifest.json: the entry marked
     * default, set by {@code picrypt eval --calibrate --far 0.001}; its "calibration" has the figures), for code that has
     * no manifest at hand: the benchmarks on synthetic embeddings and sessions opened without a face pipeline. The one
     * copy of that number in the code; FaceModelsTest keeps it equal to the manifest's.
     */
    public static final double DEFAULT_THRESHOLD = 1.2020;

    /** Ultra-Light RFB-320 style detector: scores [1,N,2] softmaxed, boxes [1,N,4] corners in [0,1]. */
    public record Detector(Path file, String sha256, int width, int height, Preprocess pre,
                           float confidence, float nmsIou, int topK, float retryPadding) {}

    /** 68-point landmark regressor on a grey crop of the detector box. */
    public record Landmark(Path file, String sha256, int width, int height, Preprocess pre,
                           float cropX, float cropY, float cropW, float cropH) {}

    /** Channel order, layout and per-channel (p - mean) / std of a model input. */
    public record Preprocess(String colourOrder, String layout, float[] mean, float[] std) {
        public int channels() { return colourOrder.equals("GREY") ? 1 : 3; }
    }

    /**
     * How a face becomes the embedding model's input. {@code similarity-umeyama}: least-squares similarity of
     * the five points onto {@code template} (given in a {@code templateWidth x templateHeight} frame, scaled to
     * the output size). {@code box-crop}: a square around the detector box enlarged by {@code margin} per side.
     */
    public record Alignment(String method, int width, int height, double[] template, double margin) {
        public static final String UMEYAMA = "similarity-umeyama";
        public static final String BOX_CROP = "box-crop";
    }

    /** An embedding model. {@code threshold} is the largest squared distance (2 - 2 cos) still called "same". */
    public record Embedding(String name, Path file, String sha256, Preprocess pre, Alignment alignment,
                            int outputSize, OptionalDouble threshold, boolean isDefault, PipelineTuning tuning, QualityPolicy quality) {}

    public static FaceModels load(Path modelsDir) {
        Path manifest = modelsDir.resolve("manifest.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(manifest.toFile());
        } catch (IOException e) {
            throw new FaceException(FaceException.Reason.MODEL, "cannot read model manifest " + manifest + ": " + e.getMessage()
                    + " (run `mvn -B -q process-classes` or pass --models DIR)", e);
        }
        Detector det = null;
        Landmark lm = null;
        List<Embedding> emb = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("models").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode m = e.getValue();
            String role = m.path("role").asText("");
            try {
                switch (role) {
                    case "detector" -> det = detector(modelsDir, m);
                    case "landmarks" -> lm = landmark(modelsDir, m);
                    case "embedding" -> emb.add(embedding(modelsDir, e.getKey(), m));
                    default -> { /* other roles are not ours */ }
                }
            } catch (RuntimeException ex) {
                if (ex instanceof FaceException) throw ex;
                throw new FaceException(FaceException.Reason.MODEL, "manifest entry '" + e.getKey() + "' is invalid: " + ex.getMessage(), ex);
            }
        }
        if (det == null || lm == null || emb.isEmpty()) {
            throw new FaceException(FaceException.Reason.MODEL, manifest + " needs a detector, a landmarks and at least one embedding entry");
        }
        return new FaceModels(modelsDir, det, lm, List.copyOf(emb));
    }

    /** The named embedding model, or the default one (flag "default": true, else the first) when name is null. */
    public Embedding embedding(String name) {
        if (name == null) {
            return embeddings.stream().filter(Embedding::isDefault).findFirst().orElse(embeddings.get(0));
        }
        return embeddings.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow(() ->
                new FaceException(FaceException.Reason.MODEL, "no embedding model '" + name + "' in the manifest; known: "
                        + embeddings.stream().map(Embedding::name).toList()));
    }

    private static Detector detector(Path dir, JsonNode m) {
        int[] shape = shape(m);
        return new Detector(dir.resolve(req(m, "file").asText()), req(m, "sha256").asText(), shape[3], shape[2], pre(m),
                (float) m.path("confidence_threshold").asDouble(0.7), (float) m.path("nms_iou").asDouble(0.4),
                m.path("top_k").asInt(750), (float) m.path("retry_padding").asDouble(0.25));
    }

    private static Landmark landmark(Path dir, JsonNode m) {
        int[] shape = shape(m);
        JsonNode c = m.path("crop");
        return new Landmark(dir.resolve(req(m, "file").asText()), req(m, "sha256").asText(), shape[3], shape[2], pre(m),
                (float) c.path("x_offset").asDouble(-0.05), (float) c.path("y_offset").asDouble(0.0),
                (float) c.path("width_scale").asDouble(1.10), (float) c.path("height_scale").asDouble(1.10));
    }

    private static Embedding embedding(Path dir, String name, JsonNode m) {
        int[] shape = shape(m);
        Preprocess pre = pre(m);
        boolean nhwc = pre.layout().equals("NHWC");
        int h = nhwc ? shape[1] : shape[2];
        int w = nhwc ? shape[2] : shape[3];
        JsonNode a = req(m, "alignment");
        String method = a.path("method").asText(Alignment.UMEYAMA);
        double[] template = null;
        if (method.equals(Alignment.UMEYAMA)) {
            JsonNode t = req(a, "template");
            if (t.size() != 5) throw new IllegalArgumentException("alignment.template needs 5 points");
            // the template may be given for another frame (e.g. the 112x112 ArcFace one reused at 160x160)
            JsonNode ts = a.path("template_size");
            double sx = ts.isArray() ? (double) w / ts.get(0).asDouble() : 1.0;
            double sy = ts.isArray() ? (double) h / ts.get(1).asDouble() : 1.0;
            template = new double[10];
            for (int i = 0; i < 5; i++) {
                template[2 * i] = t.get(i).get(0).asDouble() * sx;
                template[2 * i + 1] = t.get(i).get(1).asDouble() * sy;
            }
        } else if (!method.equals(Alignment.BOX_CROP)) {
            throw new IllegalArgumentException("alignment.method must be " + Alignment.UMEYAMA + " or " + Alignment.BOX_CROP);
        }
        JsonNode size = a.path("size");
        if (size.isArray() && (size.get(0).asInt() != w || size.get(1).asInt() != h)) {
            throw new IllegalArgumentException("alignment.size " + size + " differs from input_shape " + w + "x" + h);
        }
        JsonNode th = m.path("threshold");
        OptionalDouble threshold = th.isNumber() ? OptionalDouble.of(th.asDouble()) : OptionalDouble.empty();
        return new Embedding(name, dir.resolve(req(m, "file").asText()), req(m, "sha256").asText(), pre,
                new Alignment(method, w, h, template, a.path("margin").asDouble(0.0)),
                m.path("output_size").asInt(512), threshold, m.path("default").asBoolean(false), tuning(m.path("pipeline")),
                QualityPolicy.DEFAULT.with(keyValues(m.path("quality"))));
    }

    /** The entry's "pipeline" object (keys of {@link PipelineTuning#with}); absent keys keep the baseline. */
    private static PipelineTuning tuning(JsonNode p) { return PipelineTuning.BASELINE.with(keyValues(p)); }

    /** A flat JSON object as "k=v,k=v" (booleans as on/off; strings and numbers as written); "" when absent. */
    private static String keyValues(JsonNode p) {
        if (p.isMissingNode() || p.isNull()) return "";
        if (!p.isObject()) throw new IllegalArgumentException("pipeline and quality must be objects");
        StringBuilder sb = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode v = e.getValue();
            if (sb.length() > 0) sb.append(',');
            sb.append(e.getKey()).append('=').append(v.isBoolean() ? (v.asBoolean() ? "on" : "off") : v.asText());
        }
        return sb.toString();
    }

    private static Preprocess pre(JsonNode m) {
        String order = m.path("colour_order").asText("RGB").toUpperCase();
        if (!order.equals("RGB") && !order.equals("BGR") && !order.equals("GREY")) {
            throw new IllegalArgumentException("colour_order must be RGB, BGR or GREY, not " + order);
        }
        String layout = m.path("layout").asText("NCHW").toUpperCase();
        if (!layout.equals("NCHW") && !layout.equals("NHWC")) throw new IllegalArgumentException("layout must be NCHW or NHWC");
        int ch = order.equals("GREY") ? 1 : 3;
        float[] mean = floats(m.path("normalisation").path("mean"), ch, 0f);
        float[] std = floats(m.path("normalisation").path("std"), ch, 1f);
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("normalisation.std must be positive");
        return new Preprocess(order, layout, mean, std);
    }

    private static float[] floats(JsonNode arr, int n, float dflt) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = !arr.isArray() || arr.size() == 0 ? dflt : (float) arr.get(Math.min(i, arr.size() - 1)).asDouble();
        }
        return out;
    }

    private static int[] shape(JsonNode m) {
        JsonNode s = req(m, "input_shape");
        if (s.size() != 4) throw new IllegalArgumentException("input_shape must have 4 dimensions");
        int[] out = new int[4];
        for (int i = 0; i < 4; i++) out[i] = s.get(i).asInt();
        return out;
    }

    private static JsonNode req(JsonNode m, String key) {
        JsonNode n = m.get(key);
        if (n == null || n.isNull()) throw new IllegalArgumentException("missing key '" + key + "'");
        return n;
    }
}
