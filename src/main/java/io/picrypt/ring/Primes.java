package io.picrypt.ring;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** NTT-friendly primes (q = 1 mod 2N) chosen by bit size, like SEAL's CoeffModulus.Create. */
public final class Primes {
    private Primes() {}

    /**
     * One distinct prime per requested bit size, each the largest q < 2^bits with q = 1 mod 2N that is not
     * already taken; primes of equal size come out in decreasing order.
     */
    public static long[] forBitSizes(int n, int[] bitSizes) {
        Set<Long> used = new HashSet<>();
        long[] out = new long[bitSizes.length];
        for (int i = 0; i < bitSizes.length; i++) {
            out[i] = largestBelow(n, bitSizes[i], used);
            used.add(out[i]);
        }
        return out;
    }

    private static long largestBelow(int n, int bits, Set<Long> used) {
        if (bits < 10 || bits > Modulus.MAX_BITS) throw new IllegalArgumentException("prime bit size must be in [10, " + Modulus.MAX_BITS + "]: " + bits);
        long step = 2L * n;
        long candidate = ((1L << bits) - 1) / step * step + 1; // largest = 1 mod 2N below 2^bits
        if (candidate >= (1L << bits)) candidate -= step;
        while (candidate > (1L << (bits - 1))) {
            if (!used.contains(candidate) && BigInteger.valueOf(candidate).isProbablePrime(64)) return candidate;
            candidate -= step;
        }
        throw new IllegalArgumentException("no " + bits + "-bit prime = 1 mod " + step + " left");
    }

    public static boolean isNttPrime(long q, int n) {
        return q > 2 && q % (2L * n) == 1 && BigInteger.valueOf(q).isProbablePrime(64);
    }

    /** A primitive 2N-th root of unity mod q (psi with psi^N = -1), the smallest such for determinism. */
    public static long primitiveRoot2N(Modulus m, int n) {
        long q = m.value();
        long exp = (q - 1) / (2L * n);
        for (long g = 2; g < q; g++) {
            long psi = m.pow(g, exp);
            if (m.pow(psi, n) == q - 1) {
                // choose the minimal primitive root among psi^(odd) for a canonical choice
                long best = psi, sq = m.mul(psi, psi), cur = psi;
                for (int k = 1; k < 2 * n; k += 2) {
                    if (cur < best) best = cur;
                    cur = m.mul(cur, sq);
                }
                return best;
            }
        }
        throw new IllegalStateException("no primitive 2N-th root mod " + q);
    }

    public static List<Long> asList(long[] primes) {
        List<Long> l = new ArrayList<>();
        for (long p : primes) l.add(p);
        return l;
    }
}
