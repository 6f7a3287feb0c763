package io.picrypt.ckks;

/** X -> X^g on coefficient vectors (negacyclic: X^N = -1). */
final class Automorphism {
    private Automorphism() {}

    static long[] applyToCoefficients(long[] c, int g) {
        int n = c.length;
        long[] out = new long[n];
        int mask = 2 * n - 1;
        for (int i = 0; i < n; i++) {
            int e = (int) ((long) i * g & mask);
            if (e < n) out[e] = c[i];
            else out[e - n] = -c[i];
        }
        return out;
    }

    /** Same on one limb of residues mod q. */
    static void applyToLimb(long[] in, long[] out, int g, long q) {
        int n = in.length;
        int mask = 2 * n - 1;
        for (int i = 0; i < n; i++) {
            int e = (int) ((long) i * g & mask);
            if (e < n) out[e] = in[i];
            else out[e - n] = in[i] == 0 ? 0 : q - in[i];
        }
    }
}
