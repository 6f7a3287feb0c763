package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.face.EmbeddingSubspace;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.PairsFile;
import io.picrypt.face.ThresholdCalibration;
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
        description = {"Accuracy harness on labelled pairs: ROC AUC, accuracy/FAR/FRR at the threshold, TAR at FAR=1%%, best threshold;",
                "per set and pooled when several sets are given (--set DIR, repeatable; DIR/pairs.csv with paths relative to DIR).",
                "PAIRS is a CSV with a header naming two image columns and a label column (1/0, yes/no, true/false), or LFW pairs.txt.",
                "Photos run through the same quality gate as enroll/verify (--quality to change it). A photo that cannot be read,",
                "has no face or is refused by the gate is counted and listed, and its pairs count as rejected (and worst-ranked).",
                "--calibrate picks the threshold that meets --far on the pooled impostor pairs and on every set (see docs/BENCHMARKS.md)."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--pairs", paramLabel = "FILE", description = "pairs CSV or LFW pairs.txt (with --images)")
    Path pairsFile;

    @Option(names = "--images", paramLabel = "DIR", description = "directory the image names of --pairs are relative to")
    Path imagesDir;

    @Option(names = "--all-pairs", description = "use every pair of the photos the pairs file names, same person when they "
            + "sit in the same folder (checked against the file's labels): e.g. 79,800 pairs for att instead of 1,500, so "
            + "--calibrate's false-accept rate rests on many accepted impostor pairs")
    boolean allPairs;

    @Option(names = "--set", paramLabel = "DIR", description = "a labelled set: DIR/pairs.csv, images relative to DIR (repeatable)")
    List<Path> sets = new ArrayList<>();

    @Option(names = "--threshold", paramLabel = "T", description = "squared-distance threshold (default: the model's manifest threshold)")
    Double threshold;

    @Option(names = "--calibrate", description = "choose the threshold by the target false-accept rate (--far) and report every set at it")
    boolean calibrate;

    @Option(names = "--far", paramLabel = "RATE", defaultValue = "0.001",
            description = "target false-accept rate for --calibrate, in [0, 1) (default ${DEFAULT-VALUE} = 0.1%%)")
    double farTarget;

    @Option(names = "--encrypted", description = "also compute every distance under CKKS and check the decisions equal the plaintext ones")
    boolean encrypted;

    @Option(names = "--rank1", description = "also rank-1 leave-one-out identification per set, identities = image folder names")
    boolean rank1;

    @Option(names = "--distances", paramLabel = "FILE", description = "also write every pair's squared distance as CSV")
    Path distancesOut;

    @Option(names = "--photos", paramLabel = "FILE", description = "also write every photo's status and quality measures as CSV")
    Path photosOut;

    @Option(names = "--subspace", paramLabel = "K", description = "also project every embedding onto the K-dimensional subspace the model's "
            + "outputs span (found from the model alone, on seeded noise inputs) and report how much that changes the energy, the squared "
            + "distances and the decisions")
    Integer subspace;

    @Mixin
    JsonOutput output;

    @Mixin
    FaceOptions face;

    /** One labelled set: its name, pairs, and the images dir. */
    private record Set(String name, Path dir, List<PairsFile.Pair> pairs) {}

    /** Per-set results. */
    private record SetResult(Set set, double[] d, boolean[] same, Map<String, float[]> emb, List<String> noFace,
                             List<String> refused, List<String> unusable, int warned, int photos) {}

    private List<PairsFile.Pair> pairs(List<PairsFile.Pair> listed, String what) {
        return allPairs ? PairsFile.allPairs(listed, what) : listed;
    }

    @Override
    public Integer call() throws Exception {
        List<Set> all = new ArrayList<>();
        if (pairsFile != null || imagesDir != null) {
            if (pairsFile == null || imagesDir == null) throw new IllegalArgumentException("--pairs and --images go together");
            if (!Files.isDirectory(imagesDir)) throw new IllegalArgumentException("--images " + imagesDir + " is not a directory");
            all.add(new Set(name(imagesDir), imagesDir, pairs(PairsFile.read(pairsFile), pairsFile.toString())));
        }
        for (Path s : sets) {
            if (!Files.isDirectory(s)) throw new IllegalArgumentException("--set " + s + " is not a directory");
            all.add(new Set(name(s), s, pairs(PairsFile.read(s.resolve("pairs.csv")), s.resolve("pairs.csv").toString())));
        }
        if (all.isEmpty()) throw new IllegalArgumentException("give --pairs FILE --images DIR, or one or more --set DIR");
        if (calibrate && !(farTarget >= 0 && farTarget < 1)) throw new IllegalArgumentException("--far must be in [0, 1), got " + farTarget);
        EncryptedDistances enc = encrypted ? new EncryptedDistances() : null;

        List<SetResult> results = new ArrayList<>();
        EmbeddingSubspace basis = null;
        StringBuilder photoCsv = new StringBuilder("set,image,status,eye_distance_px,sharpness,yaw,lower_face_texture,message\n");
        String model;
        double t;
        String thresholdSource;
        String tuning, policy;
        try (FacePipeline pipeline = face.open()) {
            model = pipeline.modelName();
            tuning = pipeline.tuning().toString();
            policy = pipeline.qualityPolicy().toString();
            if (subspace != null) basis = EmbeddingSubspace.derive(pipeline, subspace); // first: a bad K fails before any photo
            for (Set s : all) results.add(embedSet(pipeline, s, photoCsv));
            if (threshold != null) { t = threshold; thresholdSource = "--threshold"; }
            else if (pipeline.thresholdIfSet().isPresent()) { t = pipeline.thresholdIfSet().getAsDouble(); thresholdSource = "manifest"; }
            else { t = Double.NaN; thresholdSource = "none"; }
        }
        if (photosOut != null) Files.writeString(photosOut, photoCsv);

        // pooled distances
        int n = results.stream().mapToInt(r -> r.d.length).sum();
        double[] d = new double[n];
        boolean[] same = new boolean[n];
        int k = 0;
        for (SetResult r : results) {
            System.arraycopy(r.d, 0, d, k, r.d.length);
            System.arraycopy(r.same, 0, same, k, r.same.length);
            k += r.d.length;
        }
        ThresholdCalibration cal = null;
        if (calibrate) {
            List<double[]> dd = new ArrayList<>();
            List<boolean[]> ss = new ArrayList<>();
            for (SetResult r : results) { dd.add(r.d); ss.add(r.same); }
            cal = ThresholdCalibration.calibrate(dd, ss, farTarget);
            t = cal.threshold();
            thresholdSource = "calibrated (FAR <= " + farTarget + " on the pool and on every set)";
        }
        if (Double.isNaN(t)) { // no threshold anywhere: report at the best one and say so
            t = VerificationMetrics.compute(d, same, 0).bestThreshold();
            thresholdSource = "best (the manifest has none)";
        }
        VerificationMetrics pooled = VerificationMetrics.compute(d, same, t);
        SubspaceReport sub = basis == null ? null : SubspaceReport.of(basis, results, t);
        List<VerificationMetrics> per = new ArrayList<>();
        for (SetResult r : results) per.add(VerificationMetrics.compute(r.d, r.same, t));

        if (distancesOut != null) {
            StringBuilder sb = new StringBuilder(all.size() > 1 ? "set,image_a,image_b,same,squared_distance\n" : "image_a,image_b,same,squared_distance\n");
            for (SetResult r : results) {
                for (int i = 0; i < r.d.length; i++) {
                    PairsFile.Pair p = r.set.pairs().get(i);
                    if (all.size() > 1) sb.append(r.set.name()).append(',');
                    sb.append(p.imageA()).append(',').append(p.imageB()).append(',').append(r.same[i] ? 1 : 0)
                            .append(',').append(Double.isFinite(r.d[i]) ? String.format(Locale.ROOT, "%.6f", r.d[i]) : "").append('\n');
                }
            }
            Files.writeString(distancesOut, sb);
        }

        Boolean encMatch = null;
        int encMismatches = 0, encPairs = 0;
        double encMaxErr = Double.NaN;
        if (enc != null) {
            List<float[]> ea = new ArrayList<>(), eb = new ArrayList<>();
            List<Double> plain = new ArrayList<>();
            for (SetResult r : results) {
                for (int i = 0; i < r.d.length; i++) {
                    float[] a = r.emb.get(r.set.pairs().get(i).imageA()), b = r.emb.get(r.set.pairs().get(i).imageB());
                    if (a != null && b != null) { ea.add(a); eb.add(b); plain.add(r.d[i]); }
                }
            }
            double[] ed = enc.squaredDistances(ea, eb);
            encMaxErr = 0;
            encPairs = ed.length;
            for (int i = 0; i < ed.length; i++) {
                if ((ed[i] <= t) != (plain.get(i) <= t)) encMismatches++;
                encMaxErr = Math.max(encMaxErr, Math.abs(ed[i] - plain.get(i)));
            }
            encMatch = encMismatches == 0;
        }

        if (output.json) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode o = om.createObjectNode();
            int photos = results.stream().mapToInt(SetResult::photos).sum();
            put(o, pooled);
            o.put("photos", photos);
            o.put("no_face", results.stream().mapToInt(r -> r.noFace.size()).sum());
            o.put("refused", results.stream().mapToInt(r -> r.refused.size()).sum());
            o.put("unusable", results.stream().mapToInt(r -> r.unusable.size()).sum());
            o.put("warned", results.stream().mapToInt(SetResult::warned).sum());
            num(o, "threshold", t);
            if (encMatch == null) o.putNull("encrypted_decisions_match"); else o.put("encrypted_decisions_match", encMatch);
            if (encMatch != null) o.put("encrypted_max_abs_error", encMaxErr);
            o.put("model", model).put("threshold_source", thresholdSource).put("pipeline", tuning).put("quality", policy);
            List<String> nf = new ArrayList<>();
            results.forEach(r -> nf.addAll(r.noFace));
            o.putPOJO("no_face_photos", nf);
            if (rank1 && results.size() == 1) {
                int[] r1 = rank1(results.get(0).emb);
                o.put("rank1_correct", r1[0]).put("rank1_total", r1[1]);
            }
            ArrayNode arr = o.putArray("sets");
            for (int i = 0; i < results.size(); i++) {
                SetResult r = results.get(i);
                ObjectNode so = arr.addObject();
                so.put("name", r.set.name()).put("dir", r.set.dir().toString());
                put(so, per.get(i));
                so.put("photos", r.photos).put("no_face", r.noFace.size()).put("refused", r.refused.size())
                        .put("unusable", r.unusable.size()).put("warned", r.warned);
                so.putPOJO("no_face_photos", r.noFace).putPOJO("refused_photos", r.refused).putPOJO("unusable_photos", r.unusable);
                if (rank1) {
                    int[] r1 = rank1(r.emb);
                    so.put("rank1_correct", r1[0]).put("rank1_total", r1[1]);
                }
            }
            if (cal != null) o.set("calibration", calibrationJson(om, cal, results, per));
            if (sub != null) {
                ObjectNode so = o.putObject("subspace");
                so.put("dimension", sub.k).put("noise_energy", sub.noiseEnergy).put("photo_energy_min", sub.energyMin)
                        .put("photo_energy_median", sub.energyMedian).put("max_abs_d2_change", sub.maxChange).put("rms_d2_change", sub.rmsChange)
                        .put("decisions_changed", sub.decisionsChanged).put("pairs", sub.pairs);
                put(so.putObject("metrics"), sub.metrics);
            }
            System.out.println(om.writeValueAsString(o));
        } else {
            System.out.printf(Locale.ROOT, "model %s; pipeline %s%nquality gate %s%n", model, tuning, policy);
            System.out.printf(Locale.ROOT, "threshold %.4f (squared distance; %s; cosine %.4f)%n", t, thresholdSource, 1 - t / 2);
            for (int i = 0; i < results.size(); i++) print(results.get(i), per.get(i));
            if (results.size() > 1) {
                System.out.printf(Locale.ROOT, "%n== pooled: %d pairs (%d genuine, %d impostor)%n", pooled.pairs(), pooled.genuine(), pooled.impostor());
                System.out.printf(Locale.ROOT, "ROC AUC %.5f   FAR %.4f   FRR %.4f   genuine max %.4f, impostor min %.4f%n",
                        pooled.auc(), pooled.far(), pooled.frr(), pooled.genuineMax(), pooled.impostorMin());
            }
            if (cal != null) {
                System.out.printf(Locale.ROOT, "%ncalibration: target FAR %.4f; %d impostor pairs pooled; the strictest of the pool's and each set's"
                        + " thresholds: %.4f%n", cal.farTarget(), cal.pooledImpostors(), cal.threshold());
                System.out.println("manifest block: " + new ObjectMapper().writeValueAsString(calibrationJson(new ObjectMapper(), cal, results, per)));
            }
            if (sub != null) {
                System.out.printf(Locale.ROOT, "%nsubspace of %d dimensions (from the model on noise inputs: %.6f of their energy): photos keep %.6f"
                        + " (min) / %.6f (median) of theirs; squared distances change by at most %.1e (rms %.1e); %d of %d decisions change;"
                        + " pooled ROC AUC %.5f, FAR %.4f, FRR %.4f at the same threshold%n", sub.k, sub.noiseEnergy, sub.energyMin, sub.energyMedian,
                        sub.maxChange, sub.rmsChange, sub.decisionsChanged, sub.pairs, sub.metrics.auc(), sub.metrics.far(), sub.metrics.frr());
            }
            if (enc != null) {
                System.out.printf(Locale.ROOT, "encrypted decisions  %s (%d of %d differ; max |d2 error| %.1e; %s)%n", encMatch ? "all equal" : "DIFFER",
                        encMismatches, encPairs, encMaxErr, enc.describe());
            }
        }
        return encMatch == null || encMatch ? 0 : 1;
    }

    /** What projecting onto a model subspace changes, over every photo and pair of the sets (pairs with both photos embedded). */
    private record SubspaceReport(int k, double noiseEnergy, double energyMin, double energyMedian, double maxChange, double rmsChange,
                                  int decisionsChanged, int pairs, VerificationMetrics metrics) {
        static SubspaceReport of(EmbeddingSubspace basis, List<SetResult> results, double t) {
            List<Double> energy = new ArrayList<>();
            List<Double> projected = new ArrayList<>();
            List<Boolean> sameList = new ArrayList<>();
            double max = 0, sq = 0;
            int changed = 0;
            for (SetResult r : results) {
                Map<String, float[]> proj = new LinkedHashMap<>();
                r.emb.forEach((img, e) -> { energy.add(basis.captured(e)); proj.put(img, basis.project(e)); });
                for (int i = 0; i < r.d.length; i++) {
                    PairsFile.Pair p = r.set.pairs().get(i);
                    float[] a = proj.get(p.imageA()), b = proj.get(p.imageB());
                    if (a == null || b == null) continue;
                    double dp = FaceEmbedding.squaredDistance(a, b), diff = Math.abs(dp - r.d[i]);
                    max = Math.max(max, diff);
                    sq += diff * diff;
                    if ((dp <= t) != (r.d[i] <= t)) changed++;
                    projected.add(dp);
                    sameList.add(r.same[i]);
                }
            }
            double[] dd = projected.stream().mapToDouble(Double::doubleValue).toArray();
            boolean[] ss = new boolean[dd.length];
            for (int i = 0; i < ss.length; i++) ss[i] = sameList.get(i);
            double[] en = energy.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            if (dd.length == 0) throw new IllegalArgumentException("--subspace: no pair has both photos embedded");
            return new SubspaceReport(basis.dimension(), basis.noiseEnergy(basis.dimension()), en[0], en[en.length / 2], max,
                    Math.sqrt(sq / dd.length), changed, dd.length, VerificationMetrics.compute(dd, ss, t));
        }
    }

    /** Embeds every photo of a set once; unreadable, faceless and refused photos are counted and listed, never fatal. */
    private SetResult embedSet(FacePipeline pipeline, Set s, StringBuilder photoCsv) {
        LinkedHashSet<String> images = new LinkedHashSet<>();
        for (PairsFile.Pair p : s.pairs()) { images.add(p.imageA()); images.add(p.imageB()); }
        Map<String, float[]> emb = new LinkedHashMap<>();
        List<String> noFace = new ArrayList<>(), refused = new ArrayList<>(), unusable = new ArrayList<>();
        int warned = 0, done = 0;
        for (String img : images) {
            Path file = s.dir().resolve(img);
            String status, msg = "";
            FaceEmbedding e = null;
            try {
                e = pipeline.embedLargest(file);
                emb.put(img, e.vector());
                status = e.warnings().isEmpty() ? "ok" : "warned";
                if (!e.warnings().isEmpty()) { warned++; msg = String.join(" / ", e.warnings()); }
            } catch (FaceException ex) {
                if (ex.reason() == FaceException.Reason.MODEL) throw ex; // a broken installation, not a bad photo
                msg = ex.getMessage();
                switch (ex.reason()) {
                    case NO_FACE -> { noFace.add(img); status = "no_face"; }
                    case LOW_QUALITY -> { refused.add(img); status = "refused"; }
                    default -> { unusable.add(img); status = "unusable"; }
                }
                if (!output.json) System.err.println("  " + s.name() + "/" + img + ": " + status + ": " + msg);
            }
            var q = e == null ? null : e.quality();
            photoCsv.append(s.name()).append(',').append(csv(img)).append(',').append(status).append(',')
                    .append(q == null ? "" : String.format(Locale.ROOT, "%.2f,%.1f,%.3f,%.3f", q.eyeDistance(), q.sharpness(), q.yaw(), q.lowerFaceTexture()))
                    .append(q == null ? ",,," : "").append(',').append(csv(msg)).append('\n');
            if (!output.json && ++done % 100 == 0) System.err.printf("  %s: embedded %d/%d photos%n", s.name(), done, images.size());
        }
        double[] d = new double[s.pairs().size()];
        boolean[] same = new boolean[d.length];
        for (int i = 0; i < d.length; i++) {
            PairsFile.Pair p = s.pairs().get(i);
            same[i] = p.same();
            float[] a = emb.get(p.imageA()), b = emb.get(p.imageB());
            d[i] = a == null || b == null ? Double.POSITIVE_INFINITY : FaceEmbedding.squaredDistance(a, b);
        }
        return new SetResult(s, d, same, emb, noFace, refused, unusable, warned, images.size());
    }

    private static void print(SetResult r, VerificationMetrics m) {
        System.out.printf(Locale.ROOT, "%n== %s: %d pairs (%d genuine, %d impostor), %d photos: %d without a face, %d refused by the quality gate,"
                + " %d unusable, %d with warnings%n", r.set.name(), m.pairs(), m.genuine(), m.impostor(), r.photos, r.noFace.size(),
                r.refused.size(), r.unusable.size(), r.warned);
        for (var l : List.of(List.of("without a face", r.noFace), List.of("refused", r.refused), List.of("unusable", r.unusable))) {
            @SuppressWarnings("unchecked") List<String> names = (List<String>) l.get(1);
            if (!names.isEmpty()) System.out.println("   " + l.get(0) + ": " + names);
        }
        System.out.printf(Locale.ROOT, "ROC AUC              %.5f%n", m.auc());
        System.out.printf(Locale.ROOT, "accuracy             %.4f   FAR %.4f   FRR %.4f%n", m.accuracy(), m.far(), m.frr());
        System.out.printf(Locale.ROOT, "TAR at FAR=1%%        %.4f%n", m.tarAtFar1pct());
        System.out.printf(Locale.ROOT, "best threshold       %.4f (accuracy %.4f)%n", m.bestThreshold(), m.bestAccuracy());
        System.out.printf(Locale.ROOT, "genuine max %.4f, impostor min %.4f (squared distance)%n", m.genuineMax(), m.impostorMin());
    }

    private ObjectNode calibrationJson(ObjectMapper om, ThresholdCalibration cal, List<SetResult> results, List<VerificationMetrics> per) {
        ObjectNode c = om.createObjectNode();
        c.put("threshold", cal.threshold()).put("far_target", cal.farTarget())
                .put("procedure", "largest threshold, rounded down to 4 decimals, that accepts at most floor(far_target x impostor pairs)"
                        + " impostor pairs of the pool and of every set: picrypt eval --calibrate --far " + cal.farTarget()
                        + (allPairs ? " --all-pairs" : "") + " --set ... (docs/BENCHMARKS.md)")
                .put("pooled_impostor_pairs", cal.pooledImpostors())
                .put("limited_by", cal.limitingSet() < 0 ? "pool" : results.get(cal.limitingSet()).set.name());
        ObjectNode s = c.putObject("sets");
        for (int i = 0; i < results.size(); i++) {
            VerificationMetrics m = per.get(i);
            ObjectNode so = s.putObject(results.get(i).set.name());
            so.put("genuine", m.genuine()).put("impostor", m.impostor());
            num(so, "far", round(m.far())); num(so, "frr", round(m.frr())); num(so, "auc", round(m.auc()));
            so.put("photos_refused", results.get(i).refused.size()).put("photos_without_face", results.get(i).noFace.size());
        }
        return c;
    }

    private static double round(double v) { return Math.round(v * 1e5) / 1e5; }

    private static void put(ObjectNode o, VerificationMetrics m) {
        o.put("pairs", m.pairs()).put("genuine", m.genuine()).put("impostor", m.impostor());
        num(o, "auc", m.auc()); num(o, "accuracy", m.accuracy()); num(o, "far", m.far());
        num(o, "frr", m.frr()); num(o, "tar_at_far_1pct", m.tarAtFar1pct()); num(o, "best_threshold", m.bestThreshold());
        num(o, "best_accuracy", m.bestAccuracy());
        num(o, "genuine_distance_max", m.genuineMax()); num(o, "impostor_distance_min", m.impostorMin());
    }

    /** The last path element (the set's folder name), or the whole path when it has none. */
    private static String name(Path dir) {
        Path f = dir.toAbsolutePath().normalize().getFileName();
        return f == null ? dir.toString() : f.toString();
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? '"' + s.replace("\"", "\"\"").replace('\n', ' ') + '"' : s;
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
