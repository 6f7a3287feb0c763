package io.picrypt.ckks;
import io.picrypt.ring.Modulus;
import java.nio.LongBuffer;
import java.util.*;
/** Copy-then-compute (the kernel) vs reading the off-heap words in the loop (LongBuffer absolute gets); one thread, B distinct blocks. */
public class KD {
  static long[] out = new long[3];
  public static void main(String[] a) throws Exception {
    int blocks = Integer.parseInt(a[0]), n = 8192, len = 128, tile = 32;
    long q = 288230376150876161L; Modulus m = new Modulus(q); ProductSum.Split sp = ProductSum.Split.of(q);
    List<OffHeapCiphertexts> ls = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(2);
    for (int b = 0; b < blocks; b++) { List<Ciphertext> cs = new ArrayList<>(); for (int j = 0; j < len; j++) { long[][][] c = new long[2][1][n]; for (int k = 0; k < n; k++) { c[0][0][k] = r.nextLong(q); c[1][0][k] = r.nextLong(q); }
      cs.add(Ciphertext.fromComponents(c, 0x1p28)); } ls.add(OffHeapCiphertexts.of(cs)); }
    java.lang.reflect.Field f = OffHeapCiphertexts.class.getDeclaredField("words"); f.setAccessible(true);
    int st = ProductSum.stride(len);
    long[] pt = new long[tile * st]; for (int i = 0; i < pt.length; i++) pt[i] = r.nextLong(q);
    long[] xs = new long[8 * 2 * len]; long sink = 0;
    var bean = java.lang.management.ManagementFactory.getThreadMXBean();
    for (int rep = 0; rep < 10; rep++) for (int v = 0; v < 2; v++) {
      long t0 = bean.getCurrentThreadCpuTime(), w0 = System.nanoTime();
      for (OffHeapCiphertexts o : ls) {
        LongBuffer wb = (LongBuffer) f.get(o);
        for (int k0 = 0; k0 < n; k0 += tile) for (int r0 = 0; r0 < tile; r0 += 8) {
          if (v == 0) { o.copyRows(0, k0 + r0, 8, xs); for (int rr = 0; rr < 8; rr++) { ProductSum.pairSums(m, sp, xs, rr * 2 * len, pt, (r0 + rr) * st, len, out, 0); sink += out[1]; } }
          else { for (int rr = 0; rr < 8; rr++) { pairSumsBuf(m, sp, wb, o.rowOffset(0, k0 + r0 + rr), pt, (r0 + rr) * st, len, out, 0); sink += out[1]; } }
        }
      }
      long t1 = bean.getCurrentThreadCpuTime(), w1 = System.nanoTime();
      if (rep >= 2) System.out.printf("%s cpu %.3f wall %.3f ns/pair%n", v == 0 ? "copy  " : "direct", (t1 - t0) / (double) blocks / n / (len / 2), (w1 - w0) / (double) blocks / n / (len / 2));
    }
    System.out.println(sink & 1);
  }
  static void pairSumsBuf(Modulus m, ProductSum.Split sp, LongBuffer xs, int xr, long[] pt, int pr, int len, long[] out, int o) {
        long q = m.value();
        int s = sp.shift(), down = 64 - s, pairs = len / 2;
        long mask = (1L << down) - 1;
        long r0 = 0, r1 = 0, r2 = 0;
        for (int g0 = 0; g0 < pairs; g0 += sp.hiTerms()) {
            int gEnd = Math.min(pairs, g0 + sp.hiTerms());
            long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
            for (int c0 = g0; c0 < gEnd; c0 += sp.loTerms()) {
                int cEnd = Math.min(gEnd, c0 + sp.loTerms());
                for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
                    long x0a = xs.get(x), x1a = xs.get(x + 1), x0b = xs.get(x + 2), x1b = xs.get(x + 3);
                    long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
                    long sa = x0a + x1a, sb = x0b + x1b;
                    sa = sa >= q ? sa - q : sa;
                    sb = sb >= q ? sb - q : sb;
                    long u = x0a + y0b, v = (x0b + y0a) << s;
                    h0 += Math.multiplyHigh(u, v);
                    l0 += (u * v) >>> s;
                    u = sa + ysb;
                    v = (sb + ysa) << s;
                    h1 += Math.multiplyHigh(u, v);
                    l1 += (u * v) >>> s;
                    u = x1a + y1b;
                    v = (x1b + y1a) << s;
                    h2 += Math.multiplyHigh(u, v);
                    l2 += (u * v) >>> s;
                }
                h0 += l0 >>> down; h1 += l1 >>> down; h2 += l2 >>> down;
                l0 &= mask; l1 &= mask; l2 &= mask;
            }
            r0 = m.add(r0, sp.value(m, h0, l0));
            r1 = m.add(r1, sp.value(m, h1, l1));
            r2 = m.add(r2, sp.value(m, h2, l2));
        }
        out[o] = r0; out[o + 1] = r1; out[o + 2] = r2;
  }
}
