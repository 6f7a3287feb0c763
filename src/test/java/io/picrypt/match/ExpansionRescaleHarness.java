package io.picrypt.match;

import io.picrypt.ckks.*;
import java.util.*;
/**
 * Not a test: measures the probe expansion with its rescale after k = 3..7 levels (and 8 = none, rescaled after) at the
 * gallery parameters: process CPU per expansion and the error of every coefficient of every output, absolute at the
 * expanded scale. Argument "seq" runs single-threaded. Figures in docs/PROTOCOL.md "Noise and precision".
 *
 * <pre>mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java -cp target/classes:target/test-classes:$(cat cp.txt) io.picrypt.match.ExpansionRescaleHarness seq</pre>
 */
public final class ExpansionRescaleHarness {
  public static void main(String[] a) throws Exception {
    var params = GalleryParameters.get();
    var kg = new KeyGenerator(params);
    SecretKey sk = kg.secretKey();
    GaloisKeys gk = kg.galoisKeys(sk, GalleryParameters.galoisElements());
    var enc = new Encryptor(params); var ecd = new Encoder(params); var dec = new Decryptor(params, sk);
    var ev = new Evaluator(params); var ex = new ObliviousExpansion(params);
    var rnd = new SplittableRandom(5);
    int n = GalleryParameters.N, cols = GalleryParameters.COLUMNS;
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (a.length > 0) io.picrypt.ring.Parallel.setEnabled(false);
    Map<Integer, List<Double>> cpu = new TreeMap<>(), rmsM = new TreeMap<>(), maxM = new TreeMap<>();
    for (int round = 0; round < 6; round++) {
      for (int k = 3; k <= 8; k++) {
        int pack = GalleryParameters.PACK;
        float[] p = SyntheticEmbeddings.unit(rnd, GalleryParameters.DIMENSION);
        double[] c = new double[n];
        for (int i = 0; i < p.length; i++) { int e = i / pack, d = i % pack; if (d == 0) c[e] = p[i]; else c[n - d * cols + e] = -p[i]; }
        Ciphertext ct = enc.encryptSymmetric(ecd.encodeCoefficients(c, GalleryParameters.PROBE_WIRE_SCALE, 1), sk);
        long c0 = os.getProcessCpuTime();
        List<Ciphertext> outs = ex.expand(ct, cols, gk, k);
        if (k == 8) outs = outs.stream().map(ev::rescale).toList();
        long c1 = os.getProcessCpuTime();
        double se = 0, mx = 0; int cnt = 0;
        for (int e = 0; e < cols; e++) {
          Ciphertext o = outs.get(e);
          double[] v = dec.decryptCoefficients(o);
          for (int j = 0; j < n; j++) {
            double expect = j == 0 ? p[pack * e] : 0;
            for (int d = 1; d < pack; d++) if (j == n - d * cols) expect = -p[pack * e + d];
            double err = (v[j] - expect) * o.scale(); se += err * err; mx = Math.max(mx, Math.abs(err)); cnt++;
          }
        }
        if (round > 0) { cpu.computeIfAbsent(k, x -> new ArrayList<>()).add((c1 - c0) / 1e6); rmsM.computeIfAbsent(k, x -> new ArrayList<>()).add(Math.sqrt(se / cnt)); maxM.computeIfAbsent(k, x -> new ArrayList<>()).add(mx); }
      }
    }
    for (int k : cpu.keySet()) { var l = cpu.get(k); Collections.sort(l); System.out.printf("rescale after %d levels: cpu min %.0f median %.0f ms; noise rms %.1f max %.1f (abs, at scale 2^27)%n", k, l.get(0), l.get(l.size()/2), rmsM.get(k).stream().mapToDouble(x->x).average().getAsDouble(), maxM.get(k).stream().mapToDouble(x->x).max().getAsDouble()); }
    System.out.println(new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).trim());
  }
}
