/** ProductSum.pairSums loop variants at q0, one thread, data in L1: thread CPU ns per pair of columns (3 pair products).
 * v1 variable shift (as first written), v2 constant shift, v5 conditional-move Karatsuba reductions, v9 v5 with 15 pairs
 * per low-sum carry (the kernel since round 7), v8 v5 without the shifts (pre-shifted operands: timing only, wrong
 * values), v6 no Karatsuba reductions (timing only), v7 without the c1 product, v3 two passes, v4 carry every pair,
 * v10 no shifts or carries in the loop, the low words' carries recovered from a double sum (measured: no faster than v9). */
public class PairLoops {
  static final long Q = 288230376150876161L; static final int LEN = 128;
  static long[] xs, pt; static final int STRIDE = LEN * 3 + 8;
  // V1: as in ProductSum (variable shift, 6 accumulators, one pass)
  static long v1(int xr, int pr, int s, int lo) {
    long q = Q; int down = 64 - s, pairs = LEN / 2; long mask = (1L << down) - 1;
    long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
    for (int c0 = 0; c0 < pairs; c0 += lo) { int cEnd = Math.min(pairs, c0 + lo);
      for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
        long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
        long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
        long sa = x0a + x1a - q, sb = x0b + x1b - q; sa += (sa >> 63) & q; sb += (sb >> 63) & q;
        long u = x0a + y0b, v = (x0b + y0a) << s; h0 += Math.multiplyHigh(u, v); l0 += (u * v) >>> s;
        u = sa + ysb; v = (sb + ysa) << s; h1 += Math.multiplyHigh(u, v); l1 += (u * v) >>> s;
        u = x1a + y1b; v = (x1b + y1a) << s; h2 += Math.multiplyHigh(u, v); l2 += (u * v) >>> s; }
      h0 += l0 >>> down; h1 += l1 >>> down; h2 += l2 >>> down; l0 &= mask; l1 &= mask; l2 &= mask; }
    return h0 ^ h1 ^ h2 ^ l0 ^ l1 ^ l2; }
  // V2: constant shift 4 / chunk 7, one pass
  static long v2(int xr, int pr) {
    long q = Q; int pairs = LEN / 2; long mask = (1L << 60) - 1;
    long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
    for (int c0 = 0; c0 < pairs; c0 += 7) { int cEnd = Math.min(pairs, c0 + 7);
      for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
        long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
        long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
        long sa = x0a + x1a - q, sb = x0b + x1b - q; sa += (sa >> 63) & q; sb += (sb >> 63) & q;
        long u = x0a + y0b, v = (x0b + y0a) << 4; h0 += Math.multiplyHigh(u, v); l0 += (u * v) >>> 4;
        u = sa + ysb; v = (sb + ysa) << 4; h1 += Math.multiplyHigh(u, v); l1 += (u * v) >>> 4;
        u = x1a + y1b; v = (x1b + y1a) << 4; h2 += Math.multiplyHigh(u, v); l2 += (u * v) >>> 4; }
      h0 += l0 >>> 60; h1 += l1 >>> 60; h2 += l2 >>> 60; l0 &= mask; l1 &= mask; l2 &= mask; }
    return h0 ^ h1 ^ h2 ^ l0 ^ l1 ^ l2; }
  static long v5(int xr, int pr) {
    long q = Q; int pairs = LEN / 2; long mask = (1L << 60) - 1;
    long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
    for (int c0 = 0; c0 < pairs; c0 += 7) { int cEnd = Math.min(pairs, c0 + 7);
      for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
        long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
        long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
        long sa = x0a + x1a, sb = x0b + x1b; sa = sa >= q ? sa - q : sa; sb = sb >= q ? sb - q : sb;
        long u = x0a + y0b, v = (x0b + y0a) << 4; h0 += Math.multiplyHigh(u, v); l0 += (u * v) >>> 4;
        u = sa + ysb; v = (sb + ysa) << 4; h1 += Math.multiplyHigh(u, v); l1 += (u * v) >>> 4;
        u = x1a + y1b; v = (x1b + y1a) << 4; h2 += Math.multiplyHigh(u, v); l2 += (u * v) >>> 4; }
      h0 += l0 >>> 60; h1 += l1 >>> 60; h2 += l2 >>> 60; l0 &= mask; l1 &= mask; l2 &= mask; }
    return h0 ^ h1 ^ h2 ^ l0 ^ l1 ^ l2; }
  static long v9(int xr, int pr) {
    long q = Q; int pairs = LEN / 2; long mask = (1L << 60) - 1;
    long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
    for (int c0 = 0; c0 < pairs; c0 += 15) { int cEnd = Math.min(pairs, c0 + 15);
      for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
        long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
        long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
        long sa = x0a + x1a, sb = x0b + x1b; sa = sa >= q ? sa - q : sa; sb = sb >= q ? sb - q : sb;
        long u = x0a + y0b, v = (x0b + y0a) << 4; h0 += Math.multiplyHigh(u, v); l0 += (u * v) >>> 4;
        u = sa + ysb; v = (sb + ysa) << 4; h1 += Math.multiplyHigh(u, v); l1 += (u * v) >>> 4;
        u = x1a + y1b; v = (x1b + y1a) << 4; h2 += Math.multiplyHigh(u, v); l2 += (u * v) >>> 4; }
      h0 += l0 >>> 60; h1 += l1 >>> 60; h2 += l2 >>> 60; l0 &= mask; l1 &= mask; l2 &= mask; }
    return h0 ^ h1 ^ h2 ^ l0 ^ l1 ^ l2; }
  // v10: no shift, no carries in the loop: high parts summed, low words summed wrapping (exact mod 2^64), and their
  // true sum's multiple of 2^64 recovered from a double-precision sum of lo / 2 (error < 2^17, far below 2^63)
  static long v10(int xr, int pr) {
    long q = Q; int pairs = LEN / 2;
    long h0 = 0, h1 = 0, h2 = 0, w0 = 0, w1 = 0, w2 = 0; double d0 = 0, d1 = 0, d2 = 0;
    for (int i = 0, x = xr, p = pr; i < pairs; i++, x += 4, p += 6) {
        long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
        long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
        long sa = x0a + x1a, sb = x0b + x1b; sa = sa >= q ? sa - q : sa; sb = sb >= q ? sb - q : sb;
        long u = x0a + y0b, v = x0b + y0a, lo = u * v; h0 += Math.multiplyHigh(u, v); w0 += lo; d0 += (double) (lo >>> 1);
        u = sa + ysb; v = sb + ysa; lo = u * v; h1 += Math.multiplyHigh(u, v); w1 += lo; d1 += (double) (lo >>> 1);
        u = x1a + y1b; v = x1b + y1a; lo = u * v; h2 += Math.multiplyHigh(u, v); w2 += lo; d2 += (double) (lo >>> 1); }
    h0 += carries(w0, d0); h1 += carries(w1, d1); h2 += carries(w2, d2);
    return h0 ^ h1 ^ h2 ^ w0 ^ w1 ^ w2; }
  /** floor(S / 2^64) for the true sum S of low words, from w = S mod 2^64 and d ~ S / 2. */
  static long carries(long w, double d) {
    double wu = (double) (w >>> 1) * 2.0;
    return Math.round((2.0 * d - wu) * 0x1p-64);
  }
  static long v8(int xr, int pr) {
    long q = Q; int pairs = LEN / 2; long mask = (1L << 60) - 1;
    long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
    for (int c0 = 0; c0 < pairs; c0 += 7) { int cEnd = Math.min(pairs, c0 + 7);
      for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
        long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
        long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
        long sa = x0a + x1a, sb = x0b + x1b; sa = sa >= q ? sa - q : sa; sb = sb >= q ? sb - q : sb;
        long u = x0a + y0b, v = (x0b + y0a); h0 += Math.multiplyHigh(u, v); l0 += (u * v) >>> 4;
        u = sa + ysb; v = (sb + ysa); h1 += Math.multiplyHigh(u, v); l1 += (u * v) >>> 4;
        u = x1a + y1b; v = (x1b + y1a); h2 += Math.multiplyHigh(u, v); l2 += (u * v) >>> 4; }
      h0 += l0 >>> 60; h1 += l1 >>> 60; h2 += l2 >>> 60; l0 &= mask; l1 &= mask; l2 &= mask; }
    return h0 ^ h1 ^ h2 ^ l0 ^ l1 ^ l2; }
  static long v6(int xr, int pr) {
    long q = Q; int pairs = LEN / 2; long mask = (1L << 60) - 1;
    long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
    for (int c0 = 0; c0 < pairs; c0 += 7) { int cEnd = Math.min(pairs, c0 + 7);
      for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
        long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
        long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
        long sa = x0a + x1a, sb = x0b + x1b;
        long u = x0a + y0b, v = (x0b + y0a) << 4; h0 += Math.multiplyHigh(u, v); l0 += (u * v) >>> 4;
        u = sa + ysb; v = (sb + ysa) << 4; h1 += Math.multiplyHigh(u, v); l1 += (u * v) >>> 4;
        u = x1a + y1b; v = (x1b + y1a) << 4; h2 += Math.multiplyHigh(u, v); l2 += (u * v) >>> 4; }
      h0 += l0 >>> 60; h1 += l1 >>> 60; h2 += l2 >>> 60; l0 &= mask; l1 &= mask; l2 &= mask; }
    return h0 ^ h1 ^ h2 ^ l0 ^ l1 ^ l2; }
  static long v7(int xr, int pr) {
    long q = Q; int pairs = LEN / 2; long mask = (1L << 60) - 1;
    long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
    for (int c0 = 0; c0 < pairs; c0 += 7) { int cEnd = Math.min(pairs, c0 + 7);
      for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
        long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
        long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
        long sa = x0a + x1a - q, sb = x0b + x1b - q; sa += (sa >> 63) & q; sb += (sb >> 63) & q;
        long u = x0a + y0b, v = (x0b + y0a) << 4; h0 += Math.multiplyHigh(u, v); l0 += (u * v) >>> 4;
        
        u = x1a + y1b; v = (x1b + y1a) << 4; h2 += Math.multiplyHigh(u, v); l2 += (u * v) >>> 4; }
      h0 += l0 >>> 60; h1 += l1 >>> 60; h2 += l2 >>> 60; l0 &= mask; l1 &= mask; l2 &= mask; }
    return h0 ^ h1 ^ h2 ^ l0 ^ l1 ^ l2; }
  // V3: two passes (c0 and c2; then c1), constant shift
  static long v3(int xr, int pr) {
    long q = Q; int pairs = LEN / 2; long mask = (1L << 60) - 1;
    long h0 = 0, h2 = 0, l0 = 0, l2 = 0, h1 = 0, l1 = 0;
    for (int c0 = 0; c0 < pairs; c0 += 7) { int cEnd = Math.min(pairs, c0 + 7);
      for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
        long u = xs[x] + pt[p + 3], v = (xs[x + 2] + pt[p]) << 4; h0 += Math.multiplyHigh(u, v); l0 += (u * v) >>> 4;
        u = xs[x + 1] + pt[p + 4]; v = (xs[x + 3] + pt[p + 1]) << 4; h2 += Math.multiplyHigh(u, v); l2 += (u * v) >>> 4; }
      h0 += l0 >>> 60; h2 += l2 >>> 60; l0 &= mask; l2 &= mask; }
    for (int c0 = 0; c0 < pairs; c0 += 7) { int cEnd = Math.min(pairs, c0 + 7);
      for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
        long sa = xs[x] + xs[x + 1] - q, sb = xs[x + 2] + xs[x + 3] - q; sa += (sa >> 63) & q; sb += (sb >> 63) & q;
        long u = sa + pt[p + 5], v = (sb + pt[p + 2]) << 4; h1 += Math.multiplyHigh(u, v); l1 += (u * v) >>> 4; }
      h1 += l1 >>> 60; l1 &= mask; }
    return h0 ^ h1 ^ h2 ^ l0 ^ l1 ^ l2; }
  // V4: no chunk loop: fold every pair (l < 2^61 after fold + term < 2^60... ) -- fold each iteration
  static long v4(int xr, int pr) {
    long q = Q; int pairs = LEN / 2; long mask = (1L << 60) - 1;
    long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
    for (int i = 0, x = xr, p = pr; i < pairs; i++, x += 4, p += 6) {
        long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
        long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
        long sa = x0a + x1a - q, sb = x0b + x1b - q; sa += (sa >> 63) & q; sb += (sb >> 63) & q;
        long u = x0a + y0b, v = (x0b + y0a) << 4; h0 += Math.multiplyHigh(u, v); l0 += (u * v) >>> 4;
        u = sa + ysb; v = (sb + ysa) << 4; h1 += Math.multiplyHigh(u, v); l1 += (u * v) >>> 4;
        u = x1a + y1b; v = (x1b + y1a) << 4; h2 += Math.multiplyHigh(u, v); l2 += (u * v) >>> 4;
        h0 += l0 >>> 60; h1 += l1 >>> 60; h2 += l2 >>> 60; l0 &= mask; l1 &= mask; l2 &= mask; }
    return h0 ^ h1 ^ h2 ^ l0 ^ l1 ^ l2; }
  public static void main(String[] a) {
    var r = new java.util.SplittableRandom(1);
    xs = new long[8 * 2 * LEN]; pt = new long[32 * STRIDE];
    for (int i = 0; i < xs.length; i++) xs[i] = r.nextLong(Q);
    for (int i = 0; i < pt.length; i++) pt[i] = r.nextLong(Q);
    var bean = java.lang.management.ManagementFactory.getThreadMXBean(); long sink = 0;
    String[] names = {"v10 fp-carries", "v1 var-shift", "v2 const", "v5 cmov", "v9 cmov-chunk15", "v8 no-shift", "v6 no-reduce", "v7 no-c1", "v3 two-pass", "v4 fold-each"};
    java.util.List<java.util.List<Double>> t = new java.util.ArrayList<>(); for (int v = 0; v < names.length; v++) t.add(new java.util.ArrayList<>());
    for (int rep = 0; rep < 40; rep++) for (int v = 0; v < names.length; v++) {
      long c0 = bean.getCurrentThreadCpuTime();
      for (int k = 0; k < 4000; k++) for (int row = 0; row < 8; row++) { int xr = row * 2 * LEN, pr = ((k * 8 + row) % 32) * STRIDE;
        sink += switch (v) { case 0 -> v10(xr, pr); case 1 -> v1(xr, pr, 4, 7); case 2 -> v2(xr, pr); case 3 -> v5(xr, pr); case 4 -> v9(xr, pr); case 5 -> v8(xr, pr); case 6 -> v6(xr, pr); case 7 -> v7(xr, pr); case 8 -> v3(xr, pr); default -> v4(xr, pr); }; }
      long c1 = bean.getCurrentThreadCpuTime();
      if (rep >= 10) t.get(v).add((c1 - c0) / (4000.0 * 8 * LEN / 2)); }
    for (int v = 0; v < names.length; v++) { var l = t.get(v); java.util.Collections.sort(l); System.out.printf("%-14s min %.3f median %.3f ns/pair%n", names[v], l.get(0), l.get(l.size() / 2)); }
    if (sink == 42) System.out.println();
  }
}
