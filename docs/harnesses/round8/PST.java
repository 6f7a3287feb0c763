package io.picrypt.ckks;
import io.picrypt.ring.Modulus;
import java.util.*;
/** Times ProductSum.pairSums on L1-resident rows: thread CPU ns per pair. arg0: 0 = residues, 2 = words times 4 with lowered Karatsuba word. */
public class PST {
  public static void main(String[] a) {
    int sh = Integer.parseInt(a[0]);
    long q = 288230376150876161L; Modulus m = new Modulus(q); ProductSum.Split sp = ProductSum.Split.of(q);
    int len = 128, st = ProductSum.stride(len), rows = 8;
    SplittableRandom r = new SplittableRandom(1);
    long[] xs = new long[rows * 2 * len], pt = new long[rows * st];
    for (int i = 0; i < xs.length; i++) xs[i] = r.nextLong(q) << sh;
    for (int k = 0; k < rows; k++) for (int j = 0; j < len; j++) { long y0 = r.nextLong(q), y1 = r.nextLong(q), s = (y0 + y1) % q;
      pt[k * st + 3 * j] = y0 << sh; pt[k * st + 3 * j + 1] = y1 << sh; pt[k * st + 3 * j + 2] = sh == 0 ? s : (s - q) << sh; }
    long[] out = new long[3]; long sink = 0;
    var bean = java.lang.management.ManagementFactory.getThreadMXBean();
    List<Double> res = new ArrayList<>();
    for (int rep = 0; rep < 30; rep++) {
      long t0 = bean.getCurrentThreadCpuTime();
      int iters = 20000;
      for (int it = 0; it < iters; it++) for (int k = 0; k < rows; k++) { ProductSum.pairSums(m, sp, xs, k * 2 * len, pt, k * st, len, out, 0); sink += out[0] ^ out[1] ^ out[2]; }
      long t1 = bean.getCurrentThreadCpuTime();
      if (rep >= 5) res.add((t1 - t0) / (double) iters / rows / (len / 2));
    }
    Collections.sort(res);
    System.out.printf("sh %d ns/pair min %.3f median %.3f (sink %d)%n", sh, res.get(0), res.get(res.size() / 2), sink & 1);
  }
}
