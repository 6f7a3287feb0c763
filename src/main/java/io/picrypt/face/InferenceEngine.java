package io.picrypt.face;

import java.nio.file.Path;
import java.util.Map;

/**
 * The little the pipeline needs from an inference runtime: load an ONNX file, run one float tensor in,
 * get named float outputs back. Two implementations: {@link OrtInference} (ONNX Runtime directly, the
 * default: one shared environment with a global, non-spinning thread pool) and {@link DjlInference}
 * (DJL Predictor on its OnnxRuntime engine). docs/ARCHITECTURE.md ("face") has the measurements behind the
 * default; {@code -Dpicrypt.face.backend=djl} selects DJL.
 */
public interface InferenceEngine {

    /** A loaded model. {@link #run} is safe to call from several threads at once. */
    interface Model extends AutoCloseable {
        /** Runs one input tensor; returns every output flattened, by output name. */
        Map<String, float[]> run(float[] input, long[] shape);

        @Override
        void close();
    }

    /** Loads a local ONNX file (already checksum-verified by the caller). */
    Model load(Path onnxFile);

    String name();

    /** The engine selected by {@code -Dpicrypt.face.backend} (ort|djl), ONNX Runtime by default. */
    static InferenceEngine defaultEngine() {
        String b = System.getProperty("picrypt.face.backend", "ort");
        return switch (b) {
            case "ort" -> OrtInference.INSTANCE;
            case "djl" -> new DjlInference();
            default -> throw new FaceException(FaceException.Reason.MODEL, "picrypt.face.backend must be ort or djl, not " + b);
        };
    }
}
