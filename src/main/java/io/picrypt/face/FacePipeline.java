package io.picrypt.face;

import io.picrypt.image.ImageException;
import io.picrypt.image.ImageLoader;
import io.picrypt.models.ModelFetcher;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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

    private FacePipeline(FaceModels models, FaceModels.Embedding spec, InferenceEngine engine, ImageLoader loader) {
        this.models = models;
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
        FaceModels m = FaceModels.load(modelsDir);
        return new FacePipeline(m, m.embedding(modelName), engine, loader);
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
     * Embeds the largest face. When the image holds several, the result says so ({@link FaceEmbedding#multipleFaces()})
     * and a warning is logged. No face: {@link FaceException} with reason NO_FACE.
     */
    public FaceEmbedding embedLargest(byte[] image) { return embedLargest(image, "image"); }

    public FaceEmbedding embedLargest(Path image) { return embedLargest(read(image), image.toString()); }

    public FaceEmbedding embedLargest(byte[] image, String what) {
        FaceEmbedding e = analyze(image, what, false, null).get(0);
        if (e.multipleFaces()) {
            log.warn("{}: {} faces found; using the largest ({}x{} px)", what, e.faceCount(),
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
            List<FaceBox> boxes = detector.detect(bgr);
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
            for (FaceBox b : everyFace ? boxes : boxes.subList(0, 1)) {
                out.add(embedFace(bgr, b, boxes.size(), times));
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- Mat-level API (caller owns the PointerScope)

    /** Detection + landmarks on a decoded 8-bit BGR image, largest face first. */
    public List<DetectedFace> detectFaces(Mat bgr) {
        List<DetectedFace> out = new ArrayList<>();
        for (FaceBox b : largestFirst(detector.detect(bgr))) out.add(new DetectedFace(b, landmarks.predict(bgr, b)));
        return out;
    }

    /** The aligned crop the embedding model sees (e.g. 112x112 BGR), for inspection and tests. */
    public Mat alignedFace(Mat bgr, DetectedFace face) {
        FaceModels.Alignment a = embeddingSpec.alignment();
        return FaceAligner.warp(bgr, FaceAligner.transform(a, face), a.width(), a.height());
    }

    /** Landmarks, alignment and embedding of one detected box. */
    public FaceEmbedding embedFace(Mat bgr, FaceBox box, int faceCount, StageTimes times) {
        long t0 = System.nanoTime();
        DetectedFace face = new DetectedFace(box, landmarks.predict(bgr, box));
        long t1 = System.nanoTime();
        Mat aligned = alignedFace(bgr, face);
        long t2 = System.nanoTime();
        float[] v = embedAligned(aligned);
        long t3 = System.nanoTime();
        if (times != null) {
            times.landmarksNanos += t1 - t0;
            times.alignNanos += t2 - t1;
            times.embedNanos += t3 - t2;
        }
        return new FaceEmbedding(v, face, faceCount, embeddingSpec.name());
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
        double n = 0;
        for (float x : v) n += (double) x * x;
        n = Math.sqrt(n);
        if (!(n > 1e-12) || Double.isNaN(n)) throw new FaceException(FaceException.Reason.MODEL, "embedding has zero or NaN norm");
        for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] / n);
        return v;
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
