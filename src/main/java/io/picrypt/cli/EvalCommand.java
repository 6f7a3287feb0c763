package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.PairsFile;
import io.picrypt.face.VerificationMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Accuracy harness on labelled pairs: ROC AUC, accuracy/FAR/FRR at the threshold, TAR at FAR=1%%, best threshold.",
                "PAIRS is a CSV with a header naming two image columns and a label column (1/0, yes/no, true/false), or LFW pairs.txt.",
                "A pair whose photo has no face counts as rejected (and worst-ranked)."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--pairs", required = true, paramLabel = "FILE", description = "pairs CSV or LFW pairs.txt")
    Path pairsFile;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "directory the image names are relative to")
    Path imagesDir;

    @Option(names = "--threshold", paramLabel = "T", description = "squared-distance threshold (default: the model's manifest threshold)")
    Double threshold;

    @Option(names = "--encrypted", description = "also compute every distance under CKKS and check the decisions equal the plaintext ones")
    boolean encrypted;

    @Option(names = "--rank1", description = "also rank-1 leave-one-out identification, identities = image folder names")
    boolean rank1;

    @Option(names = "--distances", paramLabel = "FILE", description = "also write every pair's squared distance as CSV")
    Path distancesOut;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Mixin
    FaceOptions face;

    @Override
    public Integer call() throws Exception {
        List<PairsFile.Pair> pairs = PairsFile.read(pairsFile);
        if (!Files.isDirectory(imagesDir)) throw new IllegalArgumentException("--images " + imagesDir + " is not a directory");
        EncryptedDistances enc = null;
        if (encrypted) {
            enc = new EncryptedDistances();
        }
        LinkedHashSet<String> images = new LinkedHashSet<>();
        for (PairsFile.Pair p : pairs) { images.add(p.imageA()); images.add(p.imageB()); }

        Map<String, float[]> emb = new LinkedHashMap<>();
        List<String> noFace = new ArrayList<>();
        String model;
        double t;
        String thresholdSource;
        try (FacePipeline pipeline = face.open()) {
            model = pipeline.modelName();
            int done = 0;
            for (String img : images) {
                Path file = imagesDir.resolve(img);
                try {
                    emb.put(img, pipeline.embedLargest(file).vector());
                } catch (FaceException e) {
                    if (e.reason() != FaceException.Reason.NO_FACE) throw e;
                    noFace.add(img);
                }
                if (!json && ++done % 50 == 0) System.err.printf("  embedded %d/%d photos%n", done, images.size());
            }
            if (threshold != null) { t = threshold; thresholdSource = "--threshold"; }
            else if (pipeline.thresholdIfSet().isPresent()) { t = pipeline.thresholdIfSet().getAsDouble(); thresholdSource = "manifest"; }
            else { t = Double.NaN; thresholdSource = "none"; }
        }

        double[] d = new double[pairs.size()];
        boolean[] same = new boolean[pairs.size()];
        List<float[]> ea = new ArrayList<>(), eb = new ArrayList<>();
        List<Integer> both = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            PairsFile.Pair p = pairs.get(i);
            same[i] = p.same();
            float[] a = emb.get(p.imageA()), b = emb.get(p.imageB());
            d[i] = a == null || b == null ? Double.POSITIVE_INFINITY : FaceEmbedding.squaredDistance(a, b);
            if (a != null && b != null) { ea.add(a); eb.add(b); both.add(i); }
        }
        if (Double.isNaN(t)) { // no threshold anywhere: report at the best one and say so
            t = VerificationMetrics.compute(d, same, 0).bestThreshold();
            thresholdSource = "best (the manifest has none)";
        }
        VerificationMetrics m = VerificationMetrics.compute(d, same, t);
        if (distancesOut != null) {
            StringBuilder sb = new StringBuilder("image_a,image_b,same,squared_distance\n");
            for (int i = 0; i < pairs.size(); i++) {
                sb.append(pairs.get(i).imageA()).append(',').append(pairs.get(i).imageB()).append(',').append(same[i] ? 1 : 0)
                        .append(',').append(Double.isFinite(d[i]) ? String.format(Locale.ROOT, "%.6f", d[i]) : "").append('\n');
            }
            Files.writeString(distancesOut, sb);
        }

        Boolean encMatch = null;
        int encMismatches = 0;
        double encMaxErr = Double.NaN;
        if (enc != null) {
            double[] ed = enc.squaredDistances(ea, eb);
            encMaxErr = 0;
            for (int k = 0; k < both.size(); k++) {
                if ((ed[k] <= t) != (d[both.get(k)] <= t)) encMismatches++;
                encMaxErr = Math.max(encMaxErr, Math.abs(ed[k] - d[both.get(k)]));
            }
            encMatch = encMismatches == 0;
        }

        int[] r1 = rank1 ? rank1(emb) : null;
        if (json) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode o = om.createObjectNode();
            o.put("pairs", m.pairs()).put("genuine", m.genuine()).put("impostor", m.impostor()).put("no_face", noFace.size());
            num(o, "auc", m.auc()); num(o, "threshold", t); num(o, "accuracy", m.accuracy()); num(o, "far", m.far());
            num(o, "frr", m.frr()); num(o, "tar_at_far_1pct", m.tarAtFar1pct()); num(o, "best_threshold", m.bestThreshold());
            num(o, "best_accuracy", m.bestAccuracy());
            if (encMatch == null) o.putNull("encrypted_decisions_match"); else o.put("encrypted_decisions_match", encMatch);
            if (encMatch != null) o.put("encrypted_max_abs_error", encMaxErr);
            o.put("model", model).put("threshold_source", thresholdSource);
            num(o, "genuine_distance_max", m.genuineMax()); num(o, "impostor_distance_min", m.impostorMin());
            o.putPOJO("no_face_photos", noFace);
            if (r1 != null) o.put("rank1_correct", r1[0]).put("rank1_total", r1[1]);
            System.out.println(om.writeValueAsString(o));
        } else {
            System.out.printf(Locale.ROOT, "model %s, %d pairs (%d genuine, %d impostor), %d photos, %d without a face%s%n", model, m.pairs(),
                    m.genuine(), m.impostor(), images.size(), noFace.size(), noFace.isEmpty() ? "" : " " + noFace);
            System.out.printf(Locale.ROOT, "ROC AUC              %.5f%n", m.auc());
            System.out.printf(Locale.ROOT, "threshold            %.4f (squared distance; %s; cosine %.4f)%n", t, thresholdSource, 1 - t / 2);
            System.out.printf(Locale.ROOT, "accuracy             %.4f   FAR %.4f   FRR %.4f%n", m.accuracy(), m.far(), m.frr());
            System.out.printf(Locale.ROOT, "TAR at FAR=1%%        %.4f%n", m.tarAtFar1pct());
            System.out.printf(Locale.ROOT, "best threshold       %.4f (accuracy %.4f)%n", m.bestThreshold(), m.bestAccuracy());
            System.out.printf(Locale.ROOT, "genuine max %.4f, impostor min %.4f (squared distance)%n", m.genuineMax(), m.impostorMin());
            if (r1 != null) System.out.printf(Locale.ROOT, "rank-1 leave-one-out %d/%d%n", r1[0], r1[1]);
            if (enc != null) {
                System.out.printf(Locale.ROOT, "encrypted decisions  %s (%d of %d differ; max |d2 error| %.1e; %s)%n", encMatch ? "all equal" : "DIFFER",
                        encMismatches, both.size(), encMaxErr, enc.describe());
            }
        }
        return encMatch == null || encMatch ? 0 : 1;
    }

    /** Nearest other photo decides; counted over photos whose identity (folder) has at least two photos. */
    static int[] rank1(Map<String, float[]> emb) {
        List<String> names = new ArrayList<>(emb.keySet());
        int correct = 0, total = 0;
        for (String q : names) {
            String id = identity(q);
            if (names.stream().filter(n -> !n.equals(q) && identity(n).equals(id)).findAny().isEmpty()) continue;
            total++;
            String best = null;
            double bd = Double.MAX_VALUE;
            for (String n : names) {
                if (n.equals(q)) continue;
                double dd = FaceEmbedding.squaredDistance(emb.get(q), emb.get(n));
                if (dd < bd) { bd = dd; best = n; }
            }
            if (best != null && identity(best).equals(id)) correct++;
        }
        return new int[]{correct, total};
    }

    private static String identity(String image) {
        Path p = Path.of(image).getParent();
        return p == null ? "" : p.toString();
    }

    private static void num(ObjectNode o, String k, double v) {
        if (Double.isFinite(v)) o.put(k, v); else o.putNull(k);
    }
}
