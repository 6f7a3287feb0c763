public class CAL {
  static long imuls(long[] x) { long a = 1, b = 2, c = 3, d = 4; for (int i = 0; i < x.length; i += 4) { a += x[i] * 0x9E3779B97F4A7C15L; b += x[i+1] * 0x7F4A7C159E3779B9L; c += x[i+2] * 0x1234567L; d += x[i+3] * 0x7654321L; } return a ^ b ^ c ^ d; }
  static long mulhs(long[] x) { long a = 1, b = 2, c = 3, d = 4; for (int i = 0; i < x.length; i += 4) { a += Math.multiplyHigh(x[i], 0x1E3779B97F4A7C15L); b += Math.multiplyHigh(x[i+1], 0x3F4A7C159E3779B9L); c += Math.multiplyHigh(x[i+2], 0x1234567L); d += Math.multiplyHigh(x[i+3], 0x7654321L); } return a ^ b ^ c ^ d; }
  static long adds(long[] x) { long a = 1, b = 2, c = 3, d = 4; for (int i = 0; i < x.length; i += 4) { a += x[i] ^ 0x9E3779B97F4A7C15L; b += x[i+1] >>> 3; c += x[i+2] & 0x1234567L; d += x[i+3] + 7; } return a ^ b ^ c ^ d; }
  public static void main(String[] s) {
    long[] x = new long[4096]; var r = new java.util.SplittableRandom(1); for (int i = 0; i < x.length; i++) x[i] = r.nextLong() >>> 2;
    var bean = java.lang.management.ManagementFactory.getThreadMXBean(); long sink = 0;
    for (int rep = 0; rep < 6; rep++) for (int v = 0; v < 3; v++) {
      long c0 = bean.getCurrentThreadCpuTime();
      for (int k = 0; k < 20000; k++) sink += v == 0 ? imuls(x) : v == 1 ? mulhs(x) : adds(x);
      long c1 = bean.getCurrentThreadCpuTime();
      if (rep >= 3) System.out.printf("%s %.3f ns per op (%.2f cycles at 2.45 GHz)%n", new String[]{"imul", "mulhi", "load+alu"}[v], (c1 - c0) / (20000.0 * 4096), (c1 - c0) / (20000.0 * 4096) * 2.45);
    }
    if (sink == 42) System.out.println();
  }
}
