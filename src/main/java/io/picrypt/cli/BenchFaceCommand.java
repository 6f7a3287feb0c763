package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.face.DjlInference;
import io.picrypt.face.FacePipeline;
import io.picrypt.image.ImageLoader;
import io.picrypt.face.InferenceEngine;
import io.picrypt.face.OrtInference;
import io.picrypt.face.StageTimes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import io.picrypt.cli.bench.Stats;

import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code picrypt bench face}: per-stage medians of the face pipeline on one photo, start-up reported separately. */
@Command(name = "face", mixinStandardHelpOptions = true,
        description = {"Face pipeline speed: medians of decode, detect, landmarks, align, embed and total per photo (largest face embedded).",
                "Start-up (model loading + first call) is reported separately. Benchmark figures on a shared machine are noisy: compare medians."})
public final class BenchFaceCommand implements Callable<Integer> {
    @Option(names = "--photo", paramLabel = "FILE", description = "photo to process (default: models/samples/group-tracking.jpg)")
    Path photo;

    @Option(names = {"-n", "--iterations"}, defaultValue = "100", description = "measured iterations (default ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--warmup", defaultValue = "10", description = "unmeasured iterations after the first call (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--backend", defaultValue = "ort", description = "ort (ONNX Runtime directly, the default) or djl (DJL Predictor)")
    String backend;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--analyses", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "also time each optional analysis (liveness, age, gender, expression, head pose, eyes) on the largest face (default: on)")
    boolean analyses;

    @Mixin
    FaceOptions face;

    @Override
    public Integer call() throws Exception {
        if (iterations < 1 || warmup < 0) throw new IllegalArgumentException("--iterations must be >= 1 and --warmup >= 0");
        InferenceEngine engine = switch (backend) {
            case "ort" -> OrtInference.INSTANCE;
            case "djl" -> new DjlInference();
            default -> throw new IllegalArgumentException("--backend must be ort or djl");
        };
        Path file = photo != null ? photo : face.modelsDir().resolve("samples").resolve("group-tracking.jpg");
        long s0 = System.nanoTime();
        try (FacePipeline p = FacePipeline.open(face.modelsDir(), face.model, engine, new ImageLoader(), face.pipeline, face.quality)) {
            long s1 = System.nanoTime();
            byte[] bytes = p.imageLoader().read(file);
            StageTimes first = new StageTimes();
            p.analyze(bytes, file.toString(), false, first);
            long s2 = System.nanoTime();
            for (int i = 0; i < warmup; i++) p.analyze(bytes, file.toString(), false, null);
            double[][] t = new double[7][iterations];
            StageTimes st = new StageTimes();
            for (int i = 0; i < iterations; i++) {
                st.reset();
                p.analyze(bytes, file.toString(), false, st);
                t[0][i] = st.decodeNanos / 1e6;
                t[1][i] = st.detectNanos / 1e6;
                t[2][i] = st.landmarksNanos / 1e6;
                t[3][i] = st.alignNanos / 1e6;
                t[4][i] = st.embedNanos / 1e6;
                t[5][i] = st.totalNanos() / 1e6;
                t[6][i] = st.pipelineNanos() / 1e6;
            }
            java.util.Map<String, double[]> added = analyses ? analysisCost(p, bytes, file, Math.min(iterations, 30)) : java.util.Map.of();
            String[] keys = {"decode_ms", "detect_ms", "landmarks_ms", "align_ms", "embed_ms", "total_ms", "pipeline_ms"};
            int threads = Integer.getInteger("picrypt.face.threads", Runtime.getRuntime().availableProcessors());
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                for (int k = 0; k < keys.length; k++) o.put(keys[k], Stats.round(Stats.median(t[k]), 3));
                o.put("pipeline_min_ms", Stats.round(Stats.min(t[6]), 3));
                o.put("total_min_ms", Stats.round(Stats.min(t[5]), 3));
                o.put("load_models_ms", Stats.round((s1 - s0) / 1e6, 3));
                o.put("first_call_ms", Stats.round((s2 - s1) / 1e6, 3));
                o.put("iterations", iterations).put("photo", file.toString()).put("backend", p.engineName())
                        .put("threads", threads).put("model", p.modelName());
                if (!added.isEmpty()) {
                    ObjectNode a = o.putObject("analysis_added_ms_per_face");
                    added.forEach((k, v) -> a.put(k, Stats.round(Stats.median(v), 3)));
                }
                System.out.println(om.writeValueAsString(o));
            } else {
                System.out.printf(Locale.ROOT, "face pipeline on %s, backend %s, %d threads, %d iterations (medians, ms)%n",
                        file, p.engineName(), threads, iterations);
                for (int k = 0; k < keys.length; k++) {
                    System.out.printf(Locale.ROOT, "  %-13s %8.2f   (min %.2f)%n", keys[k], Stats.median(t[k]), Stats.min(t[k]));
                }
                System.out.printf(Locale.ROOT, "  start-up: models loaded in %.0f ms, first call %.0f ms%n", (s1 - s0) / 1e6, (s2 - s1) / 1e6);
                System.out.println("  pipeline = detect + landmarks + align + embed (target <= 20 ms median)");
                if (!added.isEmpty()) {
                    System.out.println("  optional analyses, added ms per face (median; crop + inference + decoding):");
                    added.forEach((k, v) -> System.out.printf(Locale.ROOT, "    %-11s %8.2f   (min %.2f)%n", k, Stats.median(v), Stats.min(v)));
                }
            }
            return 0;
        }
    }

    /** Median-able samples of each analysis's added time on the photo's largest face (ms), keyed by manifest role. */
    private java.util.Map<String, double[]> analysisCost(FacePipeline p, byte[] bytes, Path file, int n) {
        java.util.Map<String, double[]> out = new java.util.LinkedHashMap<>();
        try (io.picrypt.face.FaceAnalyzer an = io.picrypt.face.FaceAnalyzer.open(face.modelsDir(), java.util.EnumSet.allOf(io.picrypt.face.FaceAnalyzer.Analysis.class));
             org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            var img = p.imageLoader().decode(bytes, file.toString());
            var faces = p.detectFaces(img);
            if (faces.isEmpty()) return out;
            for (io.picrypt.face.FaceAnalyzer.Analysis a : io.picrypt.face.FaceAnalyzer.Analysis.values()) {
                var one = java.util.EnumSet.of(a);
                an.analyze(img, faces.get(0), one); // first call: session warm-up, not measured
                double[] t = new double[n];
                for (int i = 0; i < n; i++) t[i] = an.analyze(img, faces.get(0), one).millis().get(a);
                out.put(a.role(), t);
            }
        }
        return out;
    }

    /** Runs without the {@code bench} parent: {@code java -cp target/picrypt.jar io.picrypt.cli.BenchFaceCommand --json}. */
    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new BenchFaceCommand()).execute(args));
    }
}
