package io.picrypt.face;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The same models through DJL (ai.djl:api Predictor + Translator on the OnnxRuntime engine), loaded from
 * the local file with {@code Model.newInstance(...).load(...)}: no model zoo, no network.
 * <p>
 * DJL's engine creates the ONNX Runtime environment itself (global pools, spinning on, no way to turn it
 * off), so sessions get their own non-spinning pools through a {@code sessionOptions} object. Kept as the
 * measured alternative; the default is {@link OrtInference} (see docs/ARCHITECTURE.md, "face").
 */
public final class DjlInference implements InferenceEngine {

    /** One input tensor. */
    record In(float[] data, long[] shape) {}

    /** Outputs by name. */
    record Out(Map<String, float[]> outputs) {}

    static {
        System.setProperty("ai.djl.offline", "true"); // never reach for a model zoo or downloads
    }

    @Override
    public String name() { return "djl-onnxruntime"; }

    @Override
    public Model load(Path onnxFile) {
        try {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            o.setInterOpNumThreads(1);
            o.addConfigEntry("session.intra_op.allow_spinning", "0");
            ai.djl.Model m = ai.djl.Model.newInstance(onnxFile.getFileName().toString(), Device.cpu(), "OnnxRuntime");
            m.load(onnxFile, null, Map.of("sessionOptions", o));
            return new DjlModel(m, o);
        } catch (IOException | MalformedModelException | OrtException | RuntimeException e) {
            throw new FaceException(FaceException.Reason.MODEL, "DJL cannot load " + onnxFile + ": " + e.getMessage(), e);
        }
    }

    private static final class DjlModel implements Model {
        private final ai.djl.Model model;
        private final OrtSession.SessionOptions options;
        // DJL predictors are not thread-safe: one per thread
        private final ThreadLocal<Predictor<In, Out>> predictor;

        DjlModel(ai.djl.Model model, OrtSession.SessionOptions options) {
            this.model = model;
            this.options = options;
            this.predictor = ThreadLocal.withInitial(() -> model.newPredictor(new FloatTranslator()));
        }

        @Override
        public Map<String, float[]> run(float[] input, long[] shape) {
            try {
                return predictor.get().predict(new In(input, shape)).outputs();
            } catch (TranslateException e) {
                throw new FaceException(FaceException.Reason.MODEL, "inference failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            model.close();
            options.close();
        }
    }

    private static final class FloatTranslator implements Translator<In, Out> {
        @Override
        public NDList processInput(TranslatorContext ctx, In in) {
            return new NDList(ctx.getNDManager().create(in.data(), new Shape(in.shape())));
        }

        @Override
        public Out processOutput(TranslatorContext ctx, NDList list) {
            Map<String, float[]> out = new LinkedHashMap<>();
            int i = 0;
            for (NDArray a : list) {
                String name = a.getName() == null ? "output" + i : a.getName();
                out.put(name, a.toFloatArray());
                i++;
            }
            return new Out(out);
        }

        @Override
        public Batchifier getBatchifier() { return null; }
    }
}
