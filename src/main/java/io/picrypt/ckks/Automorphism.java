package io.picrypt.ckks;

import java.util.concurrent.ConcurrentHashMap;

/** X -> X^g on coefficient vectors (negacyclic: X^N = -1) and, as a pure permutation, on NTT-form limbs. */
final class Automorphism {
    private static final ConcurrentHashMap<Long, int[]> NTT_PERMUTATIONS = new ConcurrentHashMap<>();

    private Automorphism() {}

    /**
     * The permutation of NTT slots that X -> X^g induces: {@link io.picrypt.ring.Ntt} stores a(psi^(2 brev(k) + 1)) at
     * index k, and a(X^g) at psi^e is a at psi^(g e), so out[k] = in[perm[k]] with no sign changes and no transform.
     */
    static int[] nttPermutation(int n, int g) {
        return NTT_PERMUTATIONS.computeIfAbsent(((long) n << 32) | g, key -> {
            int logN = Integer.numberOfTrailingZeros(n);
            long twoN = 2L * n;
            int[] perm = new int[n];
            for (int k = 0; k < n; k++) {
                long e = 2L * (Integer.reverse(k) >>> (32 - logN)) + 1;
                long ge = e * g % twoN;
                perm[k] = Integer.reverse((int) ((ge - 1) / 2)) >>> (32 - logN);
            }
            return perm;
        });
    }

    /** out = in permuted by {@link #nttPermutation} (NTT form). */
    static void applyNtt(long[] in, long[] out, int[] perm) {
        for (int k = 0; k < perm.length; k++) out[k] = in[perm[k]];
    }

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
