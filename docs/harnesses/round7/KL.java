/** Inner loop of ProductSum (deferred Shoup) alone: rows of xs (2*len) against pt (6*len+8 per row). arg: ptRows (1 = L1, 32 = L2 tile) */
public class KL {
  public static void main(String[] a) {
    int len = 128, ptRows = Integer.parseInt(a[0]), stride = len * 6 + 8;
    long q = (1L << 58) - 27, q2 = 2 * q;
    var r = new java.util.SplittableRandom(1);
    long[] xs = new long[8 * 2 * len], pt = new long[ptRows * stride];
    for (int i = 0; i < xs.length; i++) xs[i] = Math.floorMod(r.nextLong(), q);
    for (int i = 0; i < pt.length; i++) pt[i] = Math.floorMod(r.nextLong(), q) >>> 1;
    for (int rep = 0; rep < 10; rep++) {
      long t0 = System.nanoTime(), sink = 0; int iters = 0;
      for (int k = 0; k < 20000; k++) {
        for (int row = 0; row < 8; row++) {
          int xr = row * 2 * len, pr = ((k * 8 + row) % ptRows) * stride;
          long s0 = 0, s2 = 0, sk = 0;
          for (int chunk = 0; chunk < len; chunk += 10) {
            int end = Math.min(len, chunk + 10);
            long l0 = 0, l2 = 0, lk = 0, h0 = 0, h2 = 0, hk = 0;
            for (int j = chunk, x = xr + 2 * chunk, p = pr + 6 * chunk; j < end; j++, x += 2, p += 6) {
              long u0 = xs[x], u1 = xs[x + 1], us = u0 + u1;
              l0 += u0 * pt[p]; h0 += Math.multiplyHigh(u0, pt[p + 1]);
              l2 += u1 * pt[p + 2]; h2 += Math.multiplyHigh(u1, pt[p + 3]);
              lk += us * pt[p + 4]; hk += Math.multiplyHigh(us, pt[p + 5]);
            }
            s0 += l0 - h0 * q2; s2 += l2 - h2 * q2; sk += lk - hk * q2;
          }
          sink += s0 ^ s2 ^ sk; iters += len;
        }
      }
      long t1 = System.nanoTime();
      System.out.printf("%.3f ns per column-coef (3 macs) %d%n", (t1 - t0) / (double) iters, sink);
    }
  }
}
