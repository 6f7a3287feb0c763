package io.picrypt.face;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ONNX Runtime used directly. One process-wide {@link OrtEnvironment} with global thread pools
 * (intra-op = available cores, inter-op = 1) and spinning OFF, shared by every session: on 2 cores,
 * per-session default pools (each spinning) measured 2.3x slower, because idle-spinning threads of one
 * session steal the cores another session (or OpenCV, or the JIT) needs.
 */
public final class OrtInference implements InferenceEngine {
    private static final Logger log = LoggerFactory.getLogger(OrtInference.class);
    public static final OrtInference INSTANCE = new OrtInference();

    private static OrtEnvironment env;
    private static boolean globalPools;

    private OrtInference() {}

    @Override
    public String name() { return "onnxruntime"; }

    /** The shared environment, created on first use with our thread settings. */
    public static synchronized OrtEnvironment environment() {
        if (env != null) return env;
        int threads = Integer.getInteger("picrypt.face.threads", Runtime.getRuntime().availableProcessors());
        try (OrtEnvironment.ThreadingOptions t = new OrtEnvironment.ThreadingOptions()) {
            t.setGlobalIntraOpNumThreads(threads);
            t.setGlobalInterOpNumThreads(1);
            t.setGlobalSpinControl(Boolean.getBoolean("picrypt.face.spin"));
            env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "picrypt", t);
            globalPools = true;
        } catch (IllegalStateException e) {
            // someone (e.g. DJL's engine) created the environment first; we share theirs
            log.info("ONNX Runtime environment already exists; sharing it ({})", e.getMessage());
            env = OrtEnvironment.getEnvironment();
        } catch (OrtException e) {
            throw new FaceException(FaceException.Reason.MODEL, "cannot configure ONNX Runtime threads: " + e.getMessage(), e);
        }
        return env;
    }

    @Override
    public Model load(Path onnxFile) {
        OrtEnvironment e = environment();
        try {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            OrtSession s;
            try {
                o.disablePerSessionThreads();
                s = e.createSession(onnxFile.toString(), o);
            } catch (OrtException noGlobalPool) {
                if (globalPools) throw noGlobalPool;
                // a foreign environment without global pools: a small per-session pool, not spinning
                o.close();
                o = new OrtSession.SessionOptions();
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                o.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
                o.addConfigEntry("session.intra_op.allow_spinning", "0");
                s = e.createSession(onnxFile.toString(), o);
            }
            return new OrtModel(s, o);
        } catch (OrtException ex) {
            throw new FaceException(FaceException.Reason.MODEL, "ONNX Runtime cannot load " + onnxFile + ": " + ex.getMessage(), ex);
        }
    }

    private static final class OrtModel implements Model {
        private final OrtSession session;
        private final OrtSession.SessionOptions options;
        private final String inputName;

        OrtModel(OrtSession session, OrtSession.SessionOptions options) {
            this.session = session;
            this.options = options;
            this.inputName = session.getInputNames().iterator().next();
        }

        // per-thread direct input buffer: ORT wraps a direct buffer without copying, a heap one it copies into a
        // freshly allocated direct buffer on every call
        private final ThreadLocal<FloatBuffer> inputBuffer = new ThreadLocal<>();

        @Override
        public Map<String, float[]> run(float[] input, long[] shape) {
            FloatBuffer in = inputBuffer.get();
            if (in == null || in.capacity() != input.length) {
                in = ByteBuffer.allocateDirect(input.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                inputBuffer.set(in);
            }
            in.clear();
            in.put(input).flip();
            try (OnnxTensor t = OnnxTensor.createTensor(env, in, shape);
                 OrtSession.Result r = session.run(Map.of(inputName, t))) {
                Map<String, float[]> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : r) {
                    FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
                    float[] a = new float[fb.remaining()];
                    fb.get(a);
                    out.put(e.getKey(), a);
                }
                return out;
            } catch (OrtException ex) {
                throw new FaceException(FaceException.Reason.MODEL, "inference failed: " + ex.getMessage(), ex);
            }
        }

        @Override
        public void close() {
            try {
                session.close();
            } catch (OrtException ex) {
                log.warn("closing ONNX session: {}", ex.getMessage());
            }
            options.close();
        }
    }
}
