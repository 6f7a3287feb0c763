package io.picrypt.models;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Loads every model of the manifest in ONNX Runtime and checks its input shape against the manifest. */
public final class ModelCheck {
    private ModelCheck() {}

    /** What one model looks like to ONNX Runtime. */
    public record Result(String name, String file, long[] declaredInput, long[] actualInput, List<String> outputs) {
        public boolean shapeMatches() {
            if (declaredInput.length != actualInput.length) return false;
            for (int i = 0; i < declaredInput.length; i++) {
                // -1 in the model is a dynamic axis (batch): accept the declared size there
                if (actualInput[i] != -1 && actualInput[i] != declaredInput[i]) return false;
            }
            return true;
        }

        @Override
        public String toString() {
            return String.format("%-16s %-18s input %s (manifest %s) outputs %s %s", name, file, Arrays.toString(actualInput),
                    Arrays.toString(declaredInput), outputs, shapeMatches() ? "OK" : "SHAPE MISMATCH");
        }
    }

    /**
     * Session options that log errors only: ONNX Runtime's graph warnings (e.g. age/gender's "initializer appears in graph
     * inputs", ~100 lines) are about the model files, not a failure, and were the first thing a new user saw in the demo.
     */
    private static OrtSession.SessionOptions sessionOptions() throws OrtException {
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        return opts;
    }

    public static List<Result> checkAll(Path modelsDir) throws IOException, OrtException {
        JsonNode root = new ObjectMapper().readTree(modelsDir.resolve("manifest.json").toFile());
        List<Result> results = new ArrayList<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("models").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode m = e.getValue();
            Path file = modelsDir.resolve(m.path("file").asText());
            ModelFetcher.verify(file, m.path("sha256").asText());
            long[] declared = new long[m.path("input_shape").size()];
            for (int i = 0; i < declared.length; i++) declared[i] = m.path("input_shape").get(i).asLong();
            try (OrtSession.SessionOptions opts = sessionOptions();
                 OrtSession s = env.createSession(file.toString(), opts)) {
                NodeInfo in = s.getInputInfo().values().iterator().next();
                long[] actual = ((TensorInfo) in.getInfo()).getShape();
                List<String> outs = new ArrayList<>();
                for (var o : s.getOutputInfo().entrySet()) {
                    outs.add(o.getKey() + Arrays.toString(((TensorInfo) o.getValue().getInfo()).getShape()));
                }
                results.add(new Result(e.getKey(), file.getFileName().toString(), declared, actual, outs));
            }
        }
        return results;
    }

}
