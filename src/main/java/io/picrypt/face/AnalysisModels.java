package io.picrypt.face;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The optional per-face analysis entries of {@code models/manifest.json} (roles liveness, age, gender,
 * expression, head-pose, eye-state), all from the faceplugin npm package the build already fetches.
 * {@link FaceModels} ignores these roles, so the matching pipeline does not depend on them.
 */
public record AnalysisModels(Map<FaceAnalyzer.Analysis, Spec> specs) {

    /**
     * One model: its file and checksum, input size and preprocessing, how the face is cropped, and the few
     * constants that decode its output.
     *
     * @param crop   crop method: {@code box-scale} (box centred, scaled by {@code cropValue}, kept inside the image,
     *               as the package's alignLivenessImage/alignAgeImage), {@code box-top-left} (the box's top-left corner,
     *               {@code cropValue} times its size), {@code box-pad} ({@code cropValue} of the size added on each side),
     *               {@code eye-landmarks} (a square of {@code cropValue} times the eye's corner-to-corner width)
     * @param params the entry's other numbers (threshold, live_class, ssr_range, male_above, bin_width, ...)
     * @param labels class names (expression), empty otherwise
     */
    public record Spec(String name, Path file, String sha256, int width, int height, FaceModels.Preprocess pre,
                       String crop, double cropValue, Map<String, Double> params, List<String> labels) {
        public double param(String key, double dflt) { return params.getOrDefault(key, dflt); }
    }

    /** Reads the analysis entries; a missing manifest or malformed entry is a FaceException(MODEL). Absent roles are simply absent. */
    public static AnalysisModels load(Path modelsDir) {
        Path manifest = modelsDir.resolve("manifest.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(manifest.toFile());
        } catch (IOException e) {
            throw new FaceException(FaceException.Reason.MODEL, "cannot read model manifest " + manifest + ": " + e.getMessage(), e);
        }
        Map<FaceAnalyzer.Analysis, Spec> out = new EnumMap<>(FaceAnalyzer.Analysis.class);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("models").fields(); it.hasNext(); ) {
            var e = it.next();
            FaceAnalyzer.Analysis a = FaceAnalyzer.Analysis.ofRole(e.getValue().path("role").asText(""));
            if (a == null) continue;
            try {
                out.put(a, spec(modelsDir, e.getKey(), e.getValue()));
            } catch (RuntimeException ex) {
                throw new FaceException(FaceException.Reason.MODEL, "manifest entry '" + e.getKey() + "' is invalid: " + ex.getMessage(), ex);
            }
        }
        return new AnalysisModels(Map.copyOf(out));
    }

    private static Spec spec(Path dir, String name, JsonNode m) {
        JsonNode s = m.get("input_shape");
        if (s == null || s.size() != 4) throw new IllegalArgumentException("input_shape must have 4 dimensions (NCHW)");
        String order = m.path("colour_order").asText("RGB").toUpperCase();
        int ch = order.equals("GREY") ? 1 : 3;
        if (s.get(1).asInt() != ch) throw new IllegalArgumentException("input_shape has " + s.get(1).asInt() + " channels, colour_order " + order);
        float[] mean = new float[ch], std = new float[ch];
        for (int i = 0; i < ch; i++) {
            mean[i] = (float) m.path("normalisation").path("mean").path(i).asDouble(0);
            std[i] = (float) m.path("normalisation").path("std").path(i).asDouble(1);
            if (!(std[i] > 0)) throw new IllegalArgumentException("normalisation.std must be positive");
        }
        JsonNode crop = m.path("crop");
        String method = crop.path("method").asText("");
        double value = switch (method) {
            case "box-scale", "box-top-left" -> crop.path("scale").asDouble(1.0);
            case "box-pad" -> crop.path("pad").asDouble(0.25);
            case "eye-landmarks" -> crop.path("padding").asDouble(1.6);
            default -> throw new IllegalArgumentException("crop.method must be box-scale, box-top-left, box-pad or eye-landmarks");
        };
        if (!(value > 0) && !method.equals("box-pad")) throw new IllegalArgumentException("crop value must be positive");
        Map<String, Double> params = new java.util.HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            var f = it.next();
            if (f.getValue().isNumber()) params.put(f.getKey(), f.getValue().asDouble());
        }
        List<String> labels = new ArrayList<>();
        m.path("labels").forEach(l -> labels.add(l.asText()));
        JsonNode file = m.get("file"), sha = m.get("sha256");
        if (file == null || sha == null) throw new IllegalArgumentException("missing file or sha256");
        return new Spec(name, dir.resolve(file.asText()), sha.asText(), s.get(3).asInt(), s.get(2).asInt(),
                new FaceModels.Preprocess(order, "NCHW", mean, std), method, value, Map.copyOf(params), List.copyOf(labels));
    }
}
