package io.picrypt.face;

import io.picrypt.image.ImageException;
import io.picrypt.image.ImageLoader;
import io.picrypt.models.ModelFetcher;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

import static org.bytedeco.opencv.global.opencv_core.flip;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Photo in, faces and L2-normalised embeddings out: decode (EXIF-oriented) -> detect -> 68 landmarks ->
 * five-point similarity alignment -> embedding. All settings come from models/manifest.json.
 *
 * <pre>{@code
 * try (FacePipeline p = FacePipeline.open(Path.of("models"))) {
 *     FaceEmbedding e = p.embedLargest(uploadBytes);      // FaceException(NO_FACE, ...) if none
 *     boolean same = p.isSamePerson(e, other);             // squared distance <= manifest threshold
 * }
 * }</pre>
 *
 * <b>Thread safety:</b> one instance may be shared by any number of threads. ONNX Runtime sessions support
 * concurrent {@code run}, every call works on its own OpenCV Mats, and native memory of a call is released
 * when it returns (a JavaCPP {@link PointerScope} per call, which is thread-local). All instances share one
 * ONNX Runtime environment and thread pool, so opening several pipelines does not multiply threads.
 */
public final class FacePipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FacePipeline.class);

    private final FaceModels models;
    private final FaceModels.Embedding embeddingSpec;
    private final InferenceEngine engine;
    private final InferenceEngine.Model detectorModel, landmarkModel, embeddingModel;
    private final FaceDetector detector;
    private final LandmarkDetector landmarks;
    private final ImageLoader loader;
    private final PipelineTuning tuning;
    private final QualityPolicy quality;

    private FacePipeline(FaceModels models, FaceModels.Embedding spec, InferenceEngine engine, ImageLoader loader,
                         PipelineTuning tuning, QualityPolicy quality) {
        this.models = models;
        this.tuning = tuning;
        this.quality = quality;
        this.embeddingSpec = spec;
        this.engine = engine;
        this.loader = loader;
        verify(models.detector().file(), models.detector().sha256());
        verify(models.landmark().file(), models.landmark().sha256());
        verify(spec.file(), spec.sha256());
        InferenceEngine.Model d = null, l = null;
        try {
            d = engine.load(models.detector().file());
            l = engine.load(models.landmark().file());
            this.embeddingModel = engine.load(spec.file());
        } catch (RuntimeException e) {
            if (d != null) d.close();
            if (l != null) l.close();
            throw e;
        }
        this.detectorModel = d;
        this.landmarkModel = l;
        this.detector = new FaceDetector(models.detector(), d);
        this.landmarks = new LandmarkDetector(models.landmark(), l);
    }

    /** The default embedding model of {@code modelsDir/manifest.json}. */
    public static FacePipeline open(Path modelsDir) { return open(modelsDir, null); }

    /** The named embedding model (manifest key), or the default one when {@code modelName} is null. */
    public static FacePipeline open(Path modelsDir, String modelName) {
        return open(modelsDir, modelName, InferenceEngine.defaultEngine(), new ImageLoader());
    }

    public static FacePipeline open(Path modelsDir, String modelName, InferenceEngine engine, ImageLoader loader) {
        return open(modelsDir, modelName, engine, loader, null, null);
    }

    /**
     * As above, with the manifest's pipeline settings of the model changed by {@code tuningOverride}
     * ("flip=off,..."; see {@link PipelineTuning#with}) and its quality policy (already changed by
     * {@code PICRYPT_QUALITY} / {@code -Dpicrypt.quality}) changed by {@code qualityOverride} (see
     * {@link QualityPolicy#with}); null or blank keeps them.
     *
     * @throws IllegalArgumentException when an override is malformed
     */
    public static FacePipeline open(Path modelsDir, String modelName, InferenceEngine engine, ImageLoader loader,
                                    String tuningOverride, String qualityOverride) {
        FaceModels m = FaceModels.load(modelsDir);
        FaceModels.Embedding spec = m.embedding(modelName);
        PipelineTuning t = spec.tuning().with(tuningOverride);
        QualityPolicy q = spec.quality().withEnvironment().with(qualityOverride);
        return new FacePipeline(m, spec, engine, loader, t, q);
    }

    private static void verify(Path file, String sha) {
        try {
            ModelFetcher.verify(file, sha);
        } catch (ModelFetcher.FetchException e) {
            throw new FaceException(FaceException.Reason.MODEL, e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- high-level API

    /** Every face with box, score and landmarks, largest first. An empty list when there is none. */
    public List<DetectedFace> detect(byte[] image) { return detect(image, "image"); }

    public List<DetectedFace> detect(Path image) { return detect(read(image), image.toString()); }

    public List<DetectedFace> detect(byte[] image, String what) {
        try (PointerScope scope = new PointerScope()) {
            return detectFaces(decode(image, what));
        }
    }

    /**
     * Embeds the largest face. When the image holds several, the result says so ({@link FaceEmbedding#multipleFaces()},
     * {@link FaceEmbedding#photoWarnings}: the caller tells the user; logged here at debug only, so it is not shown twice).
     * No face: {@link FaceException} with reason NO_FACE.
     */
    public FaceEmbedding embedLargest(byte[] image) { return embedLargest(image, "image"); }

    public FaceEmbedding embedLargest(Path image) { return embedLargest(read(image), image.toString()); }

    public FaceEmbedding embedLargest(byte[] image, String what) {
        FaceEmbedding e = analyze(image, what, false, null).get(0);
        if (e.multipleFaces()) {
            log.debug("{}: {} faces found; using the largest ({}x{} px)", what, e.faceCount(),
                    Math.round(e.face().box().width()), Math.round(e.face().box().height()));
        }
        return e;
    }

    /** Embeddings of every face, largest first (for enrolling from group photos, or identification). */
    public List<FaceEmbedding> embedAll(byte[] image, String what) { return analyze(image, what, true, null); }

    public List<FaceEmbedding> embedAll(Path image) { return embedAll(read(image), image.toString()); }

    /**
     * The whole pipeline with optional per-stage timing. Returns the largest face's embedding only, or every
     * face's when {@code everyFace}; never empty (NO_FACE is thrown instead).
     */
    public List<FaceEmbedding> analyze(byte[] image, String what, boolean everyFace, StageTimes times) {
        try (PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            Mat bgr = decode(image, what);
            long t1 = System.nanoTime();
            List<FaceBox> boxes = detector.detect(bgr, tuning);
            long t2 = System.nanoTime();
            if (times != null) {
                times.decodeNanos += t1 - t0;
                times.detectNanos += t2 - t1;
            }
            if (boxes.isEmpty()) {
                throw new FaceException(FaceException.Reason.NO_FACE, "no face found in " + what
                        + " (" + bgr.cols() + "x" + bgr.rows() + "); use a photo with a clearly visible, roughly frontal face");
            }
            boxes = largestFirst(boxes);
            List<FaceEmbedding> out = new ArrayList<>();
            FaceException firstRefusal = null;
            for (FaceBox b : everyFace ? boxes : boxes.subList(0, 1)) {
                FaceEmbedding e = embedFace(bgr, b, boxes.size(), times);
                try {
                    out.add(gate(e, what));
                } catch (FaceException refused) { // every face: skip refused ones (e.g. tiny faces in the background)
                    if (firstRefusal == null) firstRefusal = refused;
                }
            }
            if (out.isEmpty()) throw firstRefusal;
            return out;
        }
    }

    // ---------------------------------------------------------------- Mat-level API (caller owns the PointerScope)

    /** Detection + landmarks on a decoded 8-bit BGR image, largest face first. */
    public List<DetectedFace> detectFaces(Mat bgr) {
        List<DetectedFace> out = new ArrayList<>();
        for (FaceBox b : largestFirst(detector.detect(bgr, tuning))) {
            out.add(new DetectedFace(b, landmarks.predict(bgr, b, tuning.replicate())));
        }
        return out;
    }

    /** The aligned crop the embedding model sees (e.g. 112x112 BGR), for inspection and tests. */
    public Mat alignedFace(Mat bgr, DetectedFace face) {
        FaceModels.Alignment a = embeddingSpec.alignment();
        return FaceAligner.warp(bgr, FaceAligner.transform(a, face), a.width(), a.height(), tuning.replicate(), tuning.upscaleCubic());
    }

    /**
     * {@link #embedFace} of one detected box, then the quality gate, as {@link #analyze} does for its faces: for callers
     * that detect faces themselves (every face of a photo, a liveness check first). {@code what} names the face in
     * messages ("photo.jpg", "face #2 of the photo").
     *
     * @throws FaceException LOW_QUALITY when a check whose action is REFUSE fails (too small, or as configured)
     */
    public FaceEmbedding embedGated(Mat bgr, FaceBox box, int faceCount, String what) {
        return gate(embedFace(bgr, box, faceCount, null), what);
    }

    /**
     * Landmarks, alignment and embedding of one detected box, without the quality gate: private, so that every embedding
     * a caller gets has passed it ({@link #analyze}, {@link #embedGated}).
     */
    private FaceEmbedding embedFace(Mat bgr, FaceBox box, int faceCount, StageTimes times) {
        long t0 = System.nanoTime();
        DetectedFace face = new DetectedFace(box, landmarks.predict(bgr, box, tuning.replicate()));
        long t1 = System.nanoTime();
        Mat aligned = alignedFace(bgr, face);
        long t2 = System.nanoTime();
        float[] v = tuning.flip() ? embedWithMirror(aligned) : embedAligned(aligned);
        long t3 = System.nanoTime();
        if (times != null) {
            times.landmarksNanos += t1 - t0;
            times.alignNanos += t2 - t1;
            times.embedNanos += t3 - t2;
        }
        return new FaceEmbedding(v, face, faceCount, embeddingSpec.name(), FaceQuality.measure(face, aligned));
    }

    /** Set when the embedding model refused a batch of two (fixed batch dimension): mirror images then run alone. */
    private volatile boolean noBatchOfTwo;

    /**
     * The normalised sum of the unit embeddings of {@code aligned} and of its mirror image (test-time flip
     * augmentation), both run as one batch of two when the model allows it (measured cheaper than two runs).
     */
    float[] embedWithMirror(Mat aligned) {
        Mat mirrored = new Mat();
        flip(aligned, mirrored, 1);
        float[] v = null, u = null;
        if (!noBatchOfTwo) {
            FaceModels.Alignment a = embeddingSpec.alignment();
            float[] first = Tensors.toTensor(aligned, embeddingSpec.pre()).clone(); // the scratch buffer is reused below
            float[] second = Tensors.toTensor(mirrored, embeddingSpec.pre());
            float[] both = new float[first.length * 2];
            System.arraycopy(first, 0, both, 0, first.length);
            System.arraycopy(second, 0, both, first.length, first.length);
            long[] shape = Tensors.shape(embeddingSpec.pre(), a.height(), a.width());
            shape[0] = 2;
            try {
                float[] out = embeddingModel.run(both, shape).values().iterator().next();
                int d = embeddingSpec.outputSize();
                if (out.length == 2 * d) {
                    v = normalise(java.util.Arrays.copyOfRange(out, 0, d));
                    u = normalise(java.util.Arrays.copyOfRange(out, d, 2 * d));
                } else {
                    noBatchOfTwo = true;
                }
            } catch (FaceException e) {
                log.debug("embedding model '{}' does not take a batch of two ({}); embedding the mirror image separately",
                        embeddingSpec.name(), e.getMessage());
                noBatchOfTwo = true;
            }
        }
        if (v == null) {
            v = embedAligned(aligned);
            u = embedAligned(mirrored);
        }
        for (int i = 0; i < v.length; i++) v[i] += u[i];
        return normalise(v);
    }

    private static float[] normalise(float[] v) {
        double n = 0;
        for (float x : v) n += (double) x * x;
        n = Math.sqrt(n);
        if (!(n > 1e-12) || Double.isNaN(n)) throw new FaceException(FaceException.Reason.MODEL, "embedding has zero or NaN norm");
        for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] / n);
        return v;
    }

    /** Runs the embedding model on an aligned crop and L2-normalises the result. */
    public float[] embedAligned(Mat aligned) {
        FaceModels.Alignment a = embeddingSpec.alignment();
        float[] v = embeddingModel.run(Tensors.toTensor(aligned, embeddingSpec.pre()),
                Tensors.shape(embeddingSpec.pre(), a.height(), a.width())).values().iterator().next();
        if (v.length != embeddingSpec.outputSize()) {
            throw new FaceException(FaceException.Reason.MODEL, "embedding model '" + embeddingSpec.name() + "' returned "
                    + v.length + " values; the manifest says output_size " + embeddingSpec.outputSize());
        }
        return normalise(v);
    }

    /**
     * The quality gate: throws FaceException(LOW_QUALITY) for a check whose action is REFUSE, returns the embedding
     * with the warnings of the checks whose action is WARN (for the caller to show; logged at debug only).
     */
    FaceEmbedding gate(FaceEmbedding e, String what) {
        FaceQuality q = e.quality();
        List<String> warn = new ArrayList<>();
        if (quality.size() != QualityPolicy.Action.OFF && q.eyeDistance() < quality.minEyeDistance()) {
            check(quality.size(), warn, String.format(Locale.ROOT, "the face in %s is too small: %.0f px between the eyes, at least %.0f px"
                    + " needed (a face about %.0f px wide); use a closer or higher-resolution photo", what, q.eyeDistance(),
                    quality.minEyeDistance(), quality.minEyeDistance() * 2.5));
        }
        if (quality.blur() != QualityPolicy.Action.OFF && q.sharpness() < quality.minSharpness()) {
            check(quality.blur(), warn, String.format(Locale.ROOT, "the face in %s is blurred (sharpness %.0f, at least %.0f wanted);"
                    + " use a sharper photo", what, q.sharpness(), quality.minSharpness()));
        }
        if (quality.pose() != QualityPolicy.Action.OFF && Math.abs(q.yaw()) > quality.maxYaw()) {
            check(quality.pose(), warn, String.format(Locale.ROOT, "the face in %s is turned to the side (yaw %.2f, at most %.2f wanted);"
                    + " use a photo looking at the camera", what, Math.abs(q.yaw()), quality.maxYaw()));
        }
        if (quality.occlusion() != QualityPolicy.Action.OFF && q.lowerFaceTexture() < quality.minLowerFaceTexture()) {
            check(quality.occlusion(), warn, String.format(Locale.ROOT, "the lower face in %s looks covered (mask or scarf: texture ratio %.2f,"
                    + " at least %.2f wanted); covered faces match poorly and different people in the same mask can match", what,
                    q.lowerFaceTexture(), quality.minLowerFaceTexture()));
        }
        if (warn.isEmpty()) return e;
        for (String w : warn) log.debug(w);
        return new FaceEmbedding(e.vector(), e.face(), e.faceCount(), e.model(), q.withWarnings(warn));
    }

    private static void check(QualityPolicy.Action action, List<String> warnings, String message) {
        if (action == QualityPolicy.Action.REFUSE) throw new FaceException(FaceException.Reason.LOW_QUALITY, message);
        warnings.add(message);
    }

    private static List<FaceBox> largestFirst(List<FaceBox> boxes) {
        List<FaceBox> s = new ArrayList<>(boxes);
        s.sort(Comparator.comparingDouble(FaceBox::area).reversed().thenComparing(Comparator.comparingDouble(FaceBox::score).reversed()));
        return s;
    }

    // ---------------------------------------------------------------- decisions and metadata

    /** Manifest threshold on squared distance (2 - 2 cos); FaceException(MODEL) when the entry has none. */
    public double threshold() {
        return embeddingSpec.threshold().orElseThrow(() -> new FaceException(FaceException.Reason.MODEL,
                "manifest entry '" + embeddingSpec.name() + "' has no threshold; run `picrypt eval` on labelled pairs and set one"));
    }

    public OptionalDouble thresholdIfSet() { return embeddingSpec.threshold(); }

    /** Same person iff squared distance <= threshold. */
    public boolean isSamePerson(FaceEmbedding a, FaceEmbedding b) { return a.squaredDistance(b) <= threshold(); }

    public String modelName() { return embeddingSpec.name(); }

    /** The quality gate's policy in use (the manifest's, changed by the environment and at open). */
    public QualityPolicy qualityPolicy() { return quality; }

    /** The pre- and post-processing settings in use (the manifest's, possibly overridden at open). */
    public PipelineTuning tuning() { return tuning; }

    public int dimension() { return embeddingSpec.outputSize(); }

    public FaceModels.Embedding embeddingSpec() { return embeddingSpec; }

    public FaceModels models() { return models; }

    public ImageLoader imageLoader() { return loader; }

    /** The shared {@link ImageLoader}'s failures as this class's FaceException, same reason, same message. */
    private byte[] read(Path image) {
        try {
            return loader.read(image);
        } catch (ImageException e) {
            throw FaceException.of(e);
        }
    }

    private Mat decode(byte[] image, String what) {
        try {
            return loader.decode(image, what);
        } catch (ImageException e) {
            throw FaceException.of(e);
        }
    }

    public String engineName() { return engine.name(); }

    @Override
    public void close() {
        detectorModel.close();
        landmarkModel.close();
        embeddingModel.close();
    }
}
