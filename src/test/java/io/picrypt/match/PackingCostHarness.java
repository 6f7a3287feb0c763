package io.picrypt.match;

import io.picrypt.ckks.*;
import java.lang.management.ManagementFactory;
import java.util.*;
import java.util.stream.IntStream;

/**
 * Measurement harness for docs/BENCHMARKS.md "Packed answer (issue 16 round 3)" (not a test, not on any product path).
 * Run: mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt && java -Xmx4g
 * -XX:+UseTransparentHugePages -cp target/classes:target/test-classes:$(cat cp.txt) io.picrypt.match.PackingCostHarness 3
 * Measures (1) probe expansion cost at 128/256/512 outputs, (2) level-0 key switch cost, (3) what a partial trace leaves of a real block result. */
public class PackingCostHarness {
    static com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public static void main(String[] a) {
        CkksParameters p = GalleryParameters.get();
        int n = GalleryParameters.N;
        SecretKey sk = GalleryKeyOwner.generateSecretKey();
        GalleryKeyOwner owner = new GalleryKeyOwner(sk);
        KeyGenerator kg = new KeyGenerator(p);
        GaloisKeys gk = kg.galoisKeys(sk, ObliviousExpansion.galoisElements(n, 512));
        ObliviousExpansion ox = new ObliviousExpansion(p);
        Evaluator ev = new Evaluator(p);
        Random rnd = new Random(7);
        float[] probeVec = SyntheticEmbeddings.unit(rnd, GalleryParameters.DIMENSION);
        byte[] probeBytes = owner.encryptProbe(probeVec);
        Ciphertext probe = Serializer.readCiphertext(probeBytes, p);
        int reps = Integer.parseInt(a.length > 0 ? a[0] : "3");
        Map<Integer, List<double[]>> exp = new TreeMap<>();
        for (int r = 0; r < reps; r++) {
            for (int outputs : new int[]{128, 256, 512}) {
                long w0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                List<Ciphertext> x = ox.expand(probe, outputs, gk);
                List<Ciphertext> y = IntStream.range(0, x.size()).parallel().mapToObj(j -> ev.rescale(x.get(j))).toList();
                long w1 = System.nanoTime(), c1 = os.getProcessCpuTime();
                if (y.size() != outputs) throw new AssertionError();
                exp.computeIfAbsent(outputs, k -> new ArrayList<>()).add(new double[]{(w1 - w0) / 1e6, (c1 - c0) / 1e6});
            }
        }
        exp.forEach((k, v) -> System.out.printf(Locale.ROOT, "expand+rescale %d outputs (%d key switches at q0q1): wall ms %s cpu ms %s%n", k, k - 1,
                v.stream().map(d -> String.format(Locale.ROOT, "%.0f", d[0])).toList(), v.stream().map(d -> String.format(Locale.ROOT, "%.0f", d[1])).toList()));

        // a real full block result
        List<float[]> ids = new ArrayList<>();
        for (int s = 0; s < GalleryParameters.BLOCK_CAPACITY; s++) ids.add(SyntheticEmbeddings.unit(rnd, GalleryParameters.DIMENSION));
        GalleryEvaluator evaluator = new GalleryEvaluator(owner.evaluationKeys());
        GalleryEvaluator.Block block = evaluator.importBlock(owner.encryptBlock(ids));
        List<Ciphertext> expanded = evaluator.expandProbe(probeBytes);
        Ciphertext res = evaluator.resultCiphertexts(List.of(block), expanded).get(0);

        // level-0 key switch cost (one automorphism = one key switch, 1 data prime + P)
        int ops = 200;
        List<Long> per = new ArrayList<>(), perRelin = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            long c0 = os.getProcessCpuTime();
            for (int i = 0; i < ops; i++) ev.applyGalois(res, n + 1, gk);
            per.add((os.getProcessCpuTime() - c0) / ops / 1000);
        }
        System.out.println("applyGalois at level 0, cpu us/op (3 rounds of " + ops + "): " + per);

        // partial trace T_2 = (1 + s_{N/2+1})(1 + s_{N+1}) keeps coefficients = 0 mod 4, times 4
        Ciphertext t = ev.add(res, ev.applyGalois(res, n + 1, gk));
        t = ev.add(t, ev.applyGalois(t, n / 2 + 1, gk));
        Decryptor dec = new Decryptor(p, sk);
        double[] before = dec.decryptCoefficients(res), after = dec.decryptCoefficients(t);
        Set<Integer> dist = new HashSet<>();
        for (int pos : GalleryParameters.distancePositions()) dist.add(pos);
        double maxKilled = 0, maxTraceErr = 0, minGarbageKept = Double.MAX_VALUE;
        int keptDist = 0, keptGarbage = 0, garbageAbove = 0;
        for (int i = 0; i < n; i++) {
            if (i % 4 != 0) { maxKilled = Math.max(maxKilled, Math.abs(after[i])); continue; }
            maxTraceErr = Math.max(maxTraceErr, Math.abs(after[i] / 4 - before[i]));
            if (dist.contains(i)) keptDist++;
            else { keptGarbage++; if (Math.abs(before[i]) > 1e-3) garbageAbove++; minGarbageKept = Math.min(minGarbageKept, Math.abs(before[i])); }
        }
        double rmsGarbage = 0; int cnt = 0;
        for (int i = 0; i < n; i++) if (!dist.contains(i)) { rmsGarbage += before[i] * before[i]; cnt++; }
        System.out.printf(Locale.ROOT, "trace T_2 of a full block: kept %d distance and %d partial-sum coefficients (= 0 mod 4), %d of them |.| > 1e-3, partial sums rms %.3g;"
                + " killed (!= 0 mod 4) max |.| %.2e; max |T/4 - R| at kept %.2e%n", keptDist, keptGarbage, garbageAbove, Math.sqrt(rmsGarbage / cnt), maxKilled, maxTraceErr);
    }
}
