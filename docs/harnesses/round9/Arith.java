import java.util.Random;

/**
 * Issue 16 round 9: what a product of residues costs on this JVM and machine, per element of an L1-resident array
 * (1,024 words), for the arithmetic a faster 1:N product kernel could use instead of today's 128-bit products:
 * <ul>
 *   <li>{@code hilo}: today's form, u (v 2^4) split into multiplyHigh + low product >>> 4, both summed (58-bit q0);</li>
 *   <li>{@code mul64}: a 64-bit product summed (residues below 2^29: a two-prime RNS form of q0);</li>
 *   <li>{@code mul32}: the same with the factors masked to 32 bits (the pattern a vpmuludq could serve);</li>
 *   <li>{@code wino64}: Winograd's pair form (xa + yb)(xb + ya) on 29-bit residues;</li>
 *   <li>{@code fma}: a double fused multiply-add (residues below 2^20: a three-prime RNS form, products exact).</li>
 * </ul>
 * Each loop accumulates into an array (C2 may vectorize it); several rounds, interleaved, so the rounds see the same
 * machine. Run: {@code javac -d /tmp/a9 Arith.java && java -cp /tmp/a9 Arith} (and with another JDK's java to compare).
 */
public class Arith {
    static void hilo(long[] x, long[] y, long[] h, long[] l, int n) {
        for (int k = 0; k < n; k++) { long u = x[k], v = y[k] << 4; h[k] += Math.multiplyHigh(u, v); l[k] += (u * v) >>> 4; }
    }
    static void mul64(long[] x, long[] y, long[] acc, int n) {
        for (int k = 0; k < n; k++) acc[k] += x[k] * y[k];
    }
    static void mul32(long[] x, long[] y, long[] acc, int n) {
        for (int k = 0; k < n; k++) acc[k] += (x[k] & 0xFFFFFFFFL) * (y[k] & 0xFFFFFFFFL);
    }
    static void wino64(long[] xa, long[] xb, long[] ya, long[] yb, long[] acc, int n) {
        for (int k = 0; k < n; k++) acc[k] += (xa[k] + yb[k]) * (xb[k] + ya[k]);
    }
    static void fma(double[] x, double[] y, double[] acc, int n) {
        for (int k = 0; k < n; k++) acc[k] = Math.fma(x[k], y[k], acc[k]);
    }

    public static void main(String[] args) {
        int n = 1024, reps = 200_000, rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Random r = new Random(1);
        long[] big1 = new long[n], big2 = new long[n], x = new long[n], y = new long[n], x2 = new long[n], y2 = new long[n];
        long[] a1 = new long[n], a2 = new long[n];
        double[] dx = new double[n], dy = new double[n], da = new double[n];
        for (int i = 0; i < n; i++) {
            big1[i] = r.nextLong() >>> 6; big2[i] = r.nextLong() >>> 6;
            x[i] = r.nextInt(1 << 29); y[i] = r.nextInt(1 << 29); x2[i] = r.nextInt(1 << 29); y2[i] = r.nextInt(1 << 29);
            dx[i] = r.nextInt(1 << 20); dy[i] = r.nextInt(1 << 20);
        }
        double per = 1.0 * reps * n;
        System.out.println("ns per element: hilo128 mul64 mul32 wino64 fma   (" + System.getProperty("java.vm.version") + ")");
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime(); for (int i = 0; i < reps; i++) hilo(big1, big2, a1, a2, n);
            long t1 = System.nanoTime(); for (int i = 0; i < reps; i++) mul64(x, y, a1, n);
            long t2 = System.nanoTime(); for (int i = 0; i < reps; i++) mul32(x, y, a1, n);
            long t3 = System.nanoTime(); for (int i = 0; i < reps; i++) wino64(x, x2, y, y2, a1, n);
            long t4 = System.nanoTime(); for (int i = 0; i < reps; i++) fma(dx, dy, da, n);
            long t5 = System.nanoTime();
            java.util.Arrays.fill(da, 0);
            System.out.printf("%.3f %.3f %.3f %.3f %.3f   (sink %d)%n", (t1 - t0) / per, (t2 - t1) / per, (t3 - t2) / per,
                    (t4 - t3) / per, (t5 - t4) / per, a1[7] ^ a2[3]);
        }
    }
}
