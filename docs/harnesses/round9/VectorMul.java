import jdk.incubator.vector.*;
/**
 * Issue 16 round 9: the incubating Vector API's 64-bit lane multiply (LongVector.mul, 4 lanes of AVX2) summed into an
 * array, plain and in Winograd's pair form, ns per element. Run with the module added:
 * {@code javac --add-modules jdk.incubator.vector -d /tmp/v9 VectorMul.java && java --add-modules jdk.incubator.vector -cp /tmp/v9 VectorMul}.
 */
public class VectorMul {
  static final VectorSpecies<Long> S = LongVector.SPECIES_256;
  static void mulAcc(long[] x, long[] y, long[] acc, int n) {
    for (int k = 0; k < n; k += 4) {
      LongVector a = LongVector.fromArray(S, x, k), b = LongVector.fromArray(S, y, k), c = LongVector.fromArray(S, acc, k);
      c.add(a.mul(b)).intoArray(acc, k);
    }
  }
  static void wino(long[] xa, long[] xb, long[] ya, long[] yb, long[] acc, int n) {
    for (int k = 0; k < n; k += 4) {
      LongVector u = LongVector.fromArray(S, xa, k).add(LongVector.fromArray(S, yb, k));
      LongVector v = LongVector.fromArray(S, xb, k).add(LongVector.fromArray(S, ya, k));
      LongVector.fromArray(S, acc, k).add(u.mul(v)).intoArray(acc, k);
    }
  }
  public static void main(String[] a) {
    int n = 1024, reps = 200000;
    java.util.Random r = new java.util.Random(1);
    long[] xl = new long[n], yl = new long[n], x2 = new long[n], y2 = new long[n], acc = new long[n];
    for (int i = 0; i < n; i++) { xl[i] = r.nextInt(1 << 29); yl[i] = r.nextInt(1<<29); x2[i] = r.nextInt(1<<29); y2[i] = r.nextInt(1<<29);}
    for (int round = 0; round < 3; round++) {
      long t0 = System.nanoTime(); for (int i = 0; i < reps; i++) mulAcc(xl, yl, acc, n); long t1 = System.nanoTime();
      for (int i = 0; i < reps; i++) wino(xl, x2, yl, y2, acc, n); long t2 = System.nanoTime();
      double per = 1.0 * reps * n;
      System.out.printf("vector long mulacc %.3f ns, wino %.3f ns (acc %d)%n", (t1-t0)/per, (t2-t1)/per, acc[3]);
    }
  }
}
