package io.picrypt.face;

import io.picrypt.models.ModelFetcher;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Optional client-side analyses of a detected face: presentation-attack (liveness) score, age, gender,
 * expression, head pose and eye state, with the faceplugin package's models. Takes the faces that
 * {@link FacePipeline#detectFaces} found (box + 68 landmarks) and the same decoded BGR image; nothing here
 * is sent anywhere. Crops, colour order, normalisation and output decoding follow models/manifest.json,
 * whose values were read from the package's own JS (lib/fr_*.js) and checked by measurement (docs/BENCHMARKS.md,
 * "Face analyses").
 *
 * <p>Only the models of the requested analyses are loaded. Thread safety as {@link FacePipeline}: one instance
 * may be shared; each call works on its own Mats.
 */
public final class FaceAnalyzer implements AutoCloseable {

    /** The analyses, each backed by one manifest role. */
    public enum Analysis {
        LIVENESS("liveness"), AGE("age"), GENDER("gender"), EXPRESSION("expression"), HEAD_POSE("head-pose"), EYES("eye-state");

        private final String role;

        Analysis(String role) { this.role = role; }

        public String role() { return role; }

        static Analysis ofRole(String role) {
            for (Analysis a : values()) if (a.role.equals(role)) return a;
            return null;
        }

        /** Every analysis but liveness: what {@code picrypt analyze} reports. */
        public static Set<Analysis> attributes() { return EnumSet.complementOf(EnumSet.of(LIVENESS)); }
    }

    /**
     * Presentation-attack score. {@code score} = softmax probability of the model's live class, in [0,1];
     * {@code live} iff score >= threshold (manifest {@code threshold}, or the caller's).
     */
    public record Liveness(double score, double threshold, boolean live, double[] probabilities) {}

    /** SSR-Net gender score in [0,1]; above {@code maleAbove} is "male" (orientation measured, see the manifest). */
    public record Gender(String label, double score) {}

    /** The most probable expression and the probabilities of all labels (softmax, sums to 1). */
    public record Expression(String label, double probability, Map<String, Double> probabilities) {}

    /** Head pose in degrees (Hopenet-style 66 bins of 3 degrees, range about -99..99): yaw, pitch, roll. */
    public record HeadPose(double yaw, double pitch, double roll) {}

    /**
     * Probability that each eye is open, in [0,1]. "left"/"right" are the image's left and right (the subject's
     * right and left eye), landmarks 36-41 and 42-47.
     */
    public record Eyes(double leftOpen, double rightOpen, boolean leftIsOpen, boolean rightIsOpen) {}

    /**
     * Everything asked for about one face; absent analyses are null. {@code millis} is the wall time each
     * analysis took for this face (crop + inference + decoding).
     */
    public record Result(DetectedFace face, Liveness liveness, Double age, Gender gender, Expression expression,
                         HeadPose headPose, Eyes eyes, Map<Analysis, Double> millis) {}

    private final Map<Analysis, AnalysisModels.Spec> specs = new EnumMap<>(Analysis.class);
    private final Map<Analysis, InferenceEngine.Model> models = new EnumMap<>(Analysis.class);

    private FaceAnalyzer() {}

    /** Loads the models of {@code which} from the manifest in {@code modelsDir} (checksums verified first). */
    public static FaceAnalyzer open(Path modelsDir, Set<Analysis> which) {
        return open(modelsDir, which, InferenceEngine.defaultEngine());
    }

    public static FaceAnalyzer open(Path modelsDir, Set<Analysis> which, InferenceEngine engine) {
        AnalysisModels all = AnalysisModels.load(modelsDir);
        FaceAnalyzer a = new FaceAnalyzer();
        try {
            for (Analysis x : which) {
                AnalysisModels.Spec s = all.specs().get(x);
                if (s == null) {
                    throw new FaceException(FaceException.Reason.MODEL, "models/manifest.json has no '" + x.role()
                            + "' entry; update the manifest (git pull) and rebuild so the model is fetched");
                }
                try {
                    ModelFetcher.verify(s.file(), s.sha256());
                } catch (ModelFetcher.FetchException e) {
                    throw new FaceException(FaceException.Reason.MODEL, e.getMessage(), e);
                }
                a.specs.put(x, s);
                a.models.put(x, engine.load(s.file()));
            }
            return a;
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }

    public Set<Analysis> analyses() { return specs.isEmpty() ? EnumSet.noneOf(Analysis.class) : EnumSet.copyOf(specs.keySet()); }

    /** The manifest's liveness threshold (0.5 when the entry has none). */
    public double livenessThreshold() { return spec(Analysis.LIVENESS).param("threshold", 0.5); }

    /** Runs every loaded analysis on each face of a decoded 8-bit BGR image. */
    public List<Result> analyze(Mat bgr, List<DetectedFace> faces) {
        List<Result> out = new ArrayList<>(faces.size());
        for (DetectedFace f : faces) out.add(analyze(bgr, f, analyses()));
        return out;
    }

    /** Runs the given (loaded) analyses on one face. */
    public Result analyze(Mat bgr, DetectedFace face, Set<Analysis> which) {
        try (PointerScope scope = new PointerScope()) {
            Map<Analysis, Double> ms = new LinkedHashMap<>();
            Liveness live = null;
            Double age = null;
            Gender gender = null;
            Expression expr = null;
            HeadPose pose = null;
            Eyes eyes = null;
            for (Analysis a : which) {
                long t0 = System.nanoTime();
                switch (a) {
                    case LIVENESS -> live = liveness(bgr, face.box(), livenessThreshold());
                    case AGE -> age = ssr(Analysis.AGE, bgr, face.box());
                    case GENDER -> {
                        double g = ssr(Analysis.GENDER, bgr, face.box());
                        gender = new Gender(g > spec(Analysis.GENDER).param("male_above", 0.5) ? "male" : "female", g);
                    }
                    case EXPRESSION -> expr = expression(bgr, face.box());
                    case HEAD_POSE -> pose = headPose(bgr, face.box());
                    case EYES -> eyes = eyes(bgr, face.landmarks());
                }
                ms.put(a, (System.nanoTime() - t0) / 1e6);
            }
            return new Result(face, live, age, gender, expr, pose, eyes, ms);
        }
    }

    /** Liveness of one face with an explicit threshold in [0,1]. */
    public Liveness liveness(Mat bgr, FaceBox box, double threshold) {
        if (!(threshold >= 0 && threshold <= 1)) throw new IllegalArgumentException("liveness threshold must be in [0,1]: " + threshold);
        try (PointerScope scope = new PointerScope()) {
            AnalysisModels.Spec s = spec(Analysis.LIVENESS);
            double[] p = softmax(run(Analysis.LIVENESS, crop(bgr, box, s)).values().iterator().next());
            int liveClass = (int) s.param("live_class", 0);
            if (liveClass < 0 || liveClass >= p.length) throw new FaceException(FaceException.Reason.MODEL, "live_class out of range");
            return new Liveness(p[liveClass], threshold, p[liveClass] >= threshold, p);
        }
    }

    // ------------------------------------------------------------------ decoders

    /** SSR-Net merge (the package's mergeAge/mergeGender): three stages of three bins with learned shifts and widths. */
    static double ssrMerge(Map<String, float[]> o, double range) {
        float[][] prob = {get(o, "prob_stage_1", 3), get(o, "prob_stage_2", 3), get(o, "prob_stage_3", 3)};
        float[][] off = {get(o, "index_offset_stage1", 3), get(o, "index_offset_stage2", 3), get(o, "index_offset_stage3", 3)};
        float[] dk = {get(o, "stage1_delta_k", 1)[0], get(o, "stage2_delta_k", 1)[0], get(o, "stage3_delta_k", 1)[0]};
        double total = 0, denom = 1;
        for (int k = 0; k < 3; k++) {
            double s = 0;
            for (int i = 0; i < 3; i++) s += (i + off[k][i]) * prob[k][i];
            denom *= 3 * (1 + dk[k]);
            total += s / denom;
        }
        return total * range;
    }

    private double ssr(Analysis a, Mat bgr, FaceBox box) {
        AnalysisModels.Spec s = spec(a);
        return ssrMerge(run(a, crop(bgr, box, s)), s.param("ssr_range", a == Analysis.AGE ? 101 : 1));
    }

    private Expression expression(Mat bgr, FaceBox box) {
        AnalysisModels.Spec s = spec(Analysis.EXPRESSION);
        double[] p = softmax(run(Analysis.EXPRESSION, crop(bgr, box, s)).values().iterator().next());
        if (p.length != s.labels().size()) {
            throw new FaceException(FaceException.Reason.MODEL, "expression model returned " + p.length + " classes, the manifest names " + s.labels().size());
        }
        Map<String, Double> byLabel = new LinkedHashMap<>();
        int best = 0;
        for (int i = 0; i < p.length; i++) {
            byLabel.put(s.labels().get(i), p[i]);
            if (p[i] > p[best]) best = i;
        }
        return new Expression(s.labels().get(best), p[best], byLabel);
    }

    private HeadPose headPose(Mat bgr, FaceBox box) {
        AnalysisModels.Spec s = spec(Analysis.HEAD_POSE);
        Map<String, float[]> o = run(Analysis.HEAD_POSE, crop(bgr, box, s));
        double[] deg = new double[3];
        double w = s.param("bin_width", 3), off = s.param("bin_offset", -99);
        String[] names = {"output", "617", "618"}; // yaw, pitch, roll: the output names the package's predictPose reads
        for (int k = 0; k < 3; k++) {
            float[] logits = o.get(names[k]);
            if (logits == null) throw new FaceException(FaceException.Reason.MODEL, "head-pose model has no output '" + names[k] + "'");
            double[] p = softmax(logits);
            double e = 0;
            for (int i = 0; i < p.length; i++) e += i * p[i];
            deg[k] = e * w + off;
        }
        return new HeadPose(deg[0], deg[1], deg[2]);
    }

    private Eyes eyes(Mat bgr, Landmarks l) {
        AnalysisModels.Spec s = spec(Analysis.EYES);
        int open = (int) s.param("open_class", 1);
        double th = s.param("threshold", 0.5);
        double left = eyeOpen(bgr, l, 36, s, open), right = eyeOpen(bgr, l, 42, s, open);
        return new Eyes(left, right, left >= th, right >= th);
    }

    /** Eye crop of the package's getEyeBBox: centre = mean of the 4 lid points, side = padding * corner-to-corner width. */
    private double eyeOpen(Mat bgr, Landmarks l, int first, AnalysisModels.Spec s, int openClass) {
        double cx = (l.x(first + 1) + l.x(first + 2) + l.x(first + 4) + l.x(first + 5)) / 4.0;
        double cy = (l.y(first + 1) + l.y(first + 2) + l.y(first + 4) + l.y(first + 5)) / 4.0;
        double side = (l.x(first + 3) - l.x(first)) * s.cropValue();
        Rect r = clamp(bgr, cx - side / 2, cy - side / 2, side, side);
        Mat grey = new Mat();
        cvtColor(bgr.apply(r), grey, COLOR_BGR2GRAY);
        double[] p = softmax(run(Analysis.EYES, scaled(grey, s)).values().iterator().next());
        return p[openClass];
    }

    // ------------------------------------------------------------------ crops

    /** The model's input Mat (BGR, its input size) for a box-based crop method. Package-private for tests. */
    static Mat crop(Mat bgr, FaceBox b, AnalysisModels.Spec s) {
        int W = bgr.cols(), H = bgr.rows();
        double x = b.x1(), y = b.y1(), w = b.width(), h = b.height();
        Rect r = switch (s.crop()) {
            case "box-scale" -> {
                // alignLivenessImage / alignAgeImage: the box scaled about its centre, shifted to stay inside
                double scale = Math.min(Math.min((H - 1) / h, (W - 1) / w), s.cropValue());
                double nw = w * scale, nh = h * scale, cx = x + w / 2, cy = y + h / 2;
                double lx = cx - nw / 2, ly = cy - nh / 2;
                lx = Math.max(0, Math.min(lx, W - 1 - nw));
                ly = Math.max(0, Math.min(ly, H - 1 - nh));
                yield clamp(bgr, lx, ly, nw, nh);
            }
            case "box-top-left" -> clamp(bgr, x, y, w * s.cropValue(), h * s.cropValue());
            case "box-pad" -> clamp(bgr, x - w * s.cropValue(), y - h * s.cropValue(), w * (1 + 2 * s.cropValue()), h * (1 + 2 * s.cropValue()));
            default -> throw new IllegalStateException("crop " + s.crop() + " needs landmarks");
        };
        return scaled(bgr.apply(r), s);
    }

    private static Mat scaled(Mat roi, AnalysisModels.Spec s) {
        Mat out = new Mat();
        boolean shrinkMuch = roi.cols() > 2 * s.width() && roi.rows() > 2 * s.height();
        resize(roi, out, new Size(s.width(), s.height()), 0, 0, shrinkMuch ? INTER_AREA : INTER_LINEAR);
        return out;
    }

    /** Integer rectangle of at least 1x1 px inside the image. */
    private static Rect clamp(Mat img, double x, double y, double w, double h) {
        int x0 = (int) Math.max(0, Math.min(img.cols() - 1, Math.floor(x)));
        int y0 = (int) Math.max(0, Math.min(img.rows() - 1, Math.floor(y)));
        int x1 = (int) Math.max(x0 + 1, Math.min(img.cols(), Math.round(x + w)));
        int y1 = (int) Math.max(y0 + 1, Math.min(img.rows(), Math.round(y + h)));
        return new Rect(x0, y0, x1 - x0, y1 - y0);
    }

    // ------------------------------------------------------------------ helpers

    private Map<String, float[]> run(Analysis a, Mat input) {
        AnalysisModels.Spec s = spec(a);
        return models.get(a).run(Tensors.toTensor(input, s.pre()), Tensors.shape(s.pre(), s.height(), s.width()));
    }

    private AnalysisModels.Spec spec(Analysis a) {
        AnalysisModels.Spec s = specs.get(a);
        if (s == null) throw new IllegalStateException(a + " was not loaded; open the analyzer with it");
        return s;
    }

    private static float[] get(Map<String, float[]> o, String name, int n) {
        float[] v = o.get(name);
        if (v == null || v.length != n) throw new FaceException(FaceException.Reason.MODEL, "SSR-Net output '" + name + "' missing or not " + n + " values");
        return v;
    }

    static double[] softmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) max = Math.max(max, v);
        double[] p = new double[z.length];
        double sum = 0;
        for (int i = 0; i < z.length; i++) sum += p[i] = Math.exp(z[i] - max);
        for (int i = 0; i < z.length; i++) p[i] /= sum;
        return p;
    }

    @Override
    public void close() {
        for (InferenceEngine.Model m : models.values()) m.close();
        models.clear();
    }
}
