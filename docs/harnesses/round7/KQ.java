/** Inner-loop variants in one JVM, alternating; min and median ns per column-coef over reps. */
public class KQ {
  static final int LEN = 128, STRIDE = LEN * 6 + 8;
  static final long Q = (1L << 58) - 27, Q2 = 2 * Q;
  static long[] xs, pt; static int ptRows = 32;
  static long v10() { long sink = 0;
    for (int k = 0; k < 4000; k++) for (int row = 0; row < 8; row++) {
      int xr = row * 2 * LEN, pr = ((k * 8 + row) % ptRows) * STRIDE; long s0 = 0, s2 = 0, sk = 0;
      for (int chunk = 0; chunk < LEN; chunk += 10) { int end = Math.min(LEN, chunk + 10);
        long l0 = 0, l2 = 0, lk = 0, h0 = 0, h2 = 0, hk = 0;
        for (int j = chunk, x = xr + 2 * chunk, p = pr + 6 * chunk; j < end; j++, x += 2, p += 6) {
          long u0 = xs[x], u1 = xs[x + 1], us = u0 + u1;
          l0 += u0 * pt[p]; h0 += Math.multiplyHigh(u0, pt[p + 1]);
          l2 += u1 * pt[p + 2]; h2 += Math.multiplyHigh(u1, pt[p + 3]);
          lk += us * pt[p + 4]; hk += Math.multiplyHigh(us, pt[p + 5]); }
        s0 += l0 - h0 * Q2; s2 += l2 - h2 * Q2; sk += lk - hk * Q2; }
      sink += s0 ^ s2 ^ sk; }
    return sink; }
  static long v8() { long sink = 0;
    for (int k = 0; k < 4000; k++) for (int row = 0; row < 8; row++) {
      int xr = row * 2 * LEN, pr = ((k * 8 + row) % ptRows) * STRIDE; long s0 = 0, s2 = 0, sk = 0;
      for (int chunk = 0; chunk < LEN; chunk += 8) {
        long l0 = 0, l2 = 0, lk = 0, h0 = 0, h2 = 0, hk = 0; int xb = xr + 2 * chunk, pb = pr + 6 * chunk;
        for (int j = 0; j < 8; j++) { int x = xb + 2 * j, p = pb + 6 * j;
          long u0 = xs[x], u1 = xs[x + 1], us = u0 + u1;
          l0 += u0 * pt[p]; h0 += Math.multiplyHigh(u0, pt[p + 1]);
          l2 += u1 * pt[p + 2]; h2 += Math.multiplyHigh(u1, pt[p + 3]);
          lk += us * pt[p + 4]; hk += Math.multiplyHigh(us, pt[p + 5]); }
        s0 += l0 - h0 * Q2; s2 += l2 - h2 * Q2; sk += lk - hk * Q2; }
      sink += s0 ^ s2 ^ sk; }
    return sink; }
  static long vAll() { long sink = 0;
    for (int k = 0; k < 4000; k++) for (int row = 0; row < 8; row++) {
      int xr = row * 2 * LEN, pr = ((k * 8 + row) % ptRows) * STRIDE;
      long l0 = 0, l2 = 0, lk = 0, h0 = 0, h2 = 0, hk = 0;
      for (int j = 0, x = xr, p = pr; j < LEN; j++, x += 2, p += 6) {
          long u0 = xs[x], u1 = xs[x + 1], us = u0 + u1;
          l0 += u0 * pt[p]; h0 += Math.multiplyHigh(u0, pt[p + 1]);
          l2 += u1 * pt[p + 2]; h2 += Math.multiplyHigh(u1, pt[p + 3]);
          lk += us * pt[p + 4]; hk += Math.multiplyHigh(us, pt[p + 5]); }
      sink += (l0 - h0 * Q2) ^ (l2 - h2 * Q2) ^ (lk - hk * Q2); }
    return sink; }
  public static void main(String[] a) {
    var r = new java.util.SplittableRandom(1);
    xs = new long[8 * 2 * LEN]; pt = new long[ptRows * STRIDE];
    for (int i = 0; i < xs.length; i++) xs[i] = Math.floorMod(r.nextLong(), Q);
    for (int i = 0; i < pt.length; i++) pt[i] = Math.floorMod(r.nextLong(), Q) >>> 1;
    String[] names = {"chunk10", "chunk8const", "nochunk"};
    java.util.List<java.util.List<Double>> t = new java.util.ArrayList<>(); for (int v = 0; v < 3; v++) t.add(new java.util.ArrayList<>());
    long sink = 0; var bean = java.lang.management.ManagementFactory.getThreadMXBean();
    for (int rep = 0; rep < 60; rep++) for (int v = 0; v < 3; v++) {
      long c0 = bean.getCurrentThreadCpuTime();
      sink += v == 0 ? v10() : v == 1 ? v8() : vAll();
      long c1 = bean.getCurrentThreadCpuTime();
      if (rep >= 10) t.get(v).add((c1 - c0) / (4000.0 * 8 * LEN)); }
    for (int v = 0; v < 3; v++) { var l = t.get(v); java.util.Collections.sort(l);
      System.out.printf("%-12s min %.3f p25 %.3f median %.3f ns/column-coef (thread CPU)%n", names[v], l.get(0), l.get(l.size() / 4), l.get(l.size() / 2)); }
    if (sink == 42) System.out.println();
  }
}
