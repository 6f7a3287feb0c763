package io.picrypt.cli;

import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceAnalyzer;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/** {@code --liveness [--liveness-threshold T]} of verify and identify: the presentation-attack check, on this machine. */
final class LivenessOptions {
    /** Exit code of verify/identify when the face is judged not live. */
    static final int EXIT_NOT_LIVE = 3;

    @Option(names = "--liveness", description = "refuse a face the liveness model judges not live (exit 3); runs here, nothing extra is sent")
    boolean enabled;

    @Option(names = "--liveness-threshold", paramLabel = "T", description = "live iff score >= T, in [0,1] (default: models/manifest.json's)")
    Double threshold;

    /** The liveness model, or null when --liveness was not given (then nothing is loaded and nothing costs). */
    FaceAnalyzer open(Path modelsDir) {
        if (!enabled) {
            if (threshold != null) throw new IllegalArgumentException("--liveness-threshold needs --liveness");
            return null;
        }
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) throw new IllegalArgumentException("--liveness-threshold must be in [0,1]");
        return FaceAnalyzer.open(modelsDir, EnumSet.of(FaceAnalyzer.Analysis.LIVENESS));
    }

    double threshold(FaceAnalyzer an) { return threshold != null ? threshold : an.livenessThreshold(); }

    /**
     * The decision on the photo's largest face: without --liveness ({@code an} null) {@code photoPath}, the session's
     * own photo path; with it, the face is checked here first and {@code onFace} gets its embedding (through the same
     * quality gate as the photo path), or null is returned (the refusal printed, nothing sent) when it is judged not live.
     */
    <R> R decide(FacePipeline p, FaceAnalyzer an, Path photo, Supplier<R> photoPath, Function<FaceEmbedding, R> onFace) {
        if (an == null) return photoPath.get();
        FaceEmbedding e = liveEmbedding(p, an, threshold(an), photo);
        return e == null ? null : onFace.apply(e);
    }

    /**
     * The largest face's embedding after the liveness check, or null (with the refusal printed) when it is
     * judged not live. The photo is decoded and detected once for both.
     */
    private static FaceEmbedding liveEmbedding(FacePipeline p, FaceAnalyzer an, double threshold, Path photo) {
        try (PointerScope scope = new PointerScope()) {
            Mat img = p.imageLoader().decode(p.imageLoader().read(photo), photo.toString());
            List<DetectedFace> faces = p.detectFaces(img);
            if (faces.isEmpty()) throw new FaceException(FaceException.Reason.NO_FACE, "no face found in " + photo);
            FaceAnalyzer.Liveness l = an.liveness(img, faces.get(0).box(), threshold);
            if (!l.live()) {
                System.out.printf(Locale.ROOT, "REFUSED: the face is judged not live (liveness score %.3f < threshold %.3f); nothing was sent%n",
                        l.score(), l.threshold());
                return null;
            }
            System.out.printf(Locale.ROOT, "liveness: live (score %.3f >= %.3f)%n", l.score(), l.threshold());
            // then the quality gate (the photo path has it): a face too small to embed reliably is refused (exit 2), never
            // matched. Liveness comes first, as documented ("refuse a face judged not live first"): a tiny face may
            // therefore be refused as not live rather than as too small; either way nothing is sent
            return p.embedGated(img, faces.get(0).box(), faces.size(), photo.toString());
        }
    }
}
