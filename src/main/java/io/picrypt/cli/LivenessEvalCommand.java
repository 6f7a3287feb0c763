package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceAnalyzer;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.Recapture;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code picrypt eval-liveness DIR...}: the liveness model on genuine photos versus simulated recaptures of
 * the same photos ({@link Recapture}). Reports BPCER (genuine judged not live), APCER per attack kind (attack
 * judged live) at the threshold, and ROC AUC genuine-vs-attacks.
 */
@Command(name = "eval-liveness", mixinStandardHelpOptions = true,
        description = {"Liveness on genuine photos (every .jpg/.png under DIR, largest face) versus simulated screen, print and",
                "re-encoded recaptures of the same photos. Simulations, not real attacks: see docs/BENCHMARKS.md."})
final class LivenessEvalCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "DIR", description = "folders of genuine photos (searched recursively)")
    List<Path> dirs;

    @Option(names = "--threshold", description = "liveness threshold in [0,1] (default: the manifest's)")
    Double threshold;

    @Option(names = "--limit", defaultValue = "0", description = "use at most this many photos (0 = all)")
    int limit;

    @Mixin
    JsonOutput output;

    @Mixin
    FaceOptions face;

    @Override
    public Integer call() throws IOException {
        List<Path> photos = new ArrayList<>();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) throw new IllegalArgumentException(d + " is not a directory");
            try (Stream<Path> s = Files.walk(d)) {
                s.filter(f -> f.toString().matches("(?i).*\\.(jpe?g|png)$")).sorted().forEach(photos::add);
            }
        }
        if (limit > 0 && photos.size() > limit) photos = photos.subList(0, limit);
        if (photos.isEmpty()) throw new IllegalArgumentException("no .jpg or .png photos under " + dirs);
        try (FacePipeline p = face.open(); FaceAnalyzer an = FaceAnalyzer.open(face.modelsDir(), EnumSet.of(FaceAnalyzer.Analysis.LIVENESS))) {
            double th = threshold != null ? threshold : an.livenessThreshold();
            List<Double> genuine = new ArrayList<>();
            Map<Recapture.Kind, List<Double>> attacks = new EnumMap<>(Recapture.Kind.class);
            Map<Recapture.Kind, Integer> attackNoFace = new EnumMap<>(Recapture.Kind.class);
            int noFace = 0;
            for (Path f : photos) {
                try (PointerScope scope = new PointerScope()) {
                    Mat img;
                    try {
                        img = p.imageLoader().decode(p.imageLoader().read(f), f.toString());
                    } catch (FaceException | io.picrypt.image.ImageException e) { // unreadable or damaged: counted with the no-face photos
                        noFace++;
                        continue;
                    }
                    Double g = score(p, an, img);
                    if (g == null) { noFace++; continue; }
                    genuine.add(g);
                    for (Recapture.Kind k : Recapture.Kind.values()) {
                        Double a = score(p, an, Recapture.make(img, k));
                        if (a == null) attackNoFace.merge(k, 1, Integer::sum);
                        else attacks.computeIfAbsent(k, x -> new ArrayList<>()).add(a);
                    }
                }
            }
            List<Double> allAttacks = attacks.values().stream().flatMap(List::stream).toList();
            double bpcer = rate(genuine, th, false);
            double auc = auc(genuine, allAttacks);
            if (output.json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode().put("photos", photos.size()).put("genuine", genuine.size()).put("no_face", noFace)
                        .put("threshold", th).put("bpcer", bpcer).put("genuine_mean", mean(genuine)).put("roc_auc", auc);
                ArrayNode arr = o.putArray("attacks");
                for (var e : attacks.entrySet()) {
                    arr.addObject().put("kind", e.getKey().name().toLowerCase(Locale.ROOT)).put("n", e.getValue().size())
                            .put("no_face", attackNoFace.getOrDefault(e.getKey(), 0)).put("apcer", rate(e.getValue(), th, true))
                            .put("mean", mean(e.getValue()));
                }
                System.out.println(om.writeValueAsString(o));
            } else {
                System.out.printf(Locale.ROOT, "liveness on %d photos (%d with a face, %d without), threshold %.3f%n", photos.size(), genuine.size(), noFace, th);
                System.out.printf(Locale.ROOT, "  genuine        n=%-4d mean score %.3f  BPCER (genuine refused) %.1f %%%n", genuine.size(), mean(genuine), 100 * bpcer);
                for (var e : attacks.entrySet()) {
                    System.out.printf(Locale.ROOT, "  %-14s n=%-4d mean score %.3f  APCER (attack accepted) %.1f %%  (no face: %d)%n",
                            e.getKey().name().toLowerCase(Locale.ROOT), e.getValue().size(), mean(e.getValue()), 100 * rate(e.getValue(), th, true),
                            attackNoFace.getOrDefault(e.getKey(), 0));
                }
                System.out.printf(Locale.ROOT, "  ROC AUC genuine vs all simulated attacks: %.3f%n", auc);
            }
            return 0;
        }
    }

    private static Double score(FacePipeline p, FaceAnalyzer an, Mat img) {
        List<DetectedFace> faces = p.detectFaces(img);
        if (faces.isEmpty()) return null;
        return an.liveness(img, faces.get(0).box(), 0.5).score();
    }

    /** Fraction judged live (score >= th) when {@code live}, else fraction judged not live. */
    static double rate(List<Double> s, double th, boolean live) {
        if (s.isEmpty()) return Double.NaN;
        long n = s.stream().filter(x -> (x >= th) == live).count();
        return (double) n / s.size();
    }

    /** Probability that a genuine score exceeds an attack score (ties count half). */
    static double auc(List<Double> pos, List<Double> neg) {
        if (pos.isEmpty() || neg.isEmpty()) return Double.NaN;
        double w = 0;
        for (double a : pos) for (double b : neg) w += a > b ? 1 : a == b ? 0.5 : 0;
        return w / ((double) pos.size() * neg.size());
    }

    private static double mean(List<Double> s) { return s.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN); }
}
