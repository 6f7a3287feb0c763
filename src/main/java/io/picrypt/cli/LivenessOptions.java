package io.picrypt.cli;

import io.picrypt.face.FaceAnalyzer;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.EnumSet;

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
}
