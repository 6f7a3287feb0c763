package io.picrypt.ring;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * Z_Q[X]/(X^N+1) in RNS form for a chain of primes q_0..q_{k-1}: NTT tables per prime and the
 * element-wise operations on polynomials stored as long[limb][coefficient]. Operations take the number
 * of limbs to act on, so a polynomial at a lower level simply has fewer limbs.
 */
public final class RingContext {
    private final int n;
    private final Modulus[] moduli;
    private final Ntt[] ntts;
    // [k][i]: -q_k mod q_i, q_k^-1 mod q_i and its Shoup companion, for dividing by prime k (rescale, mod-down)
    private final long[][] negPrimeMod, invPrimeMod, invPrimeModShoup;

    public RingContext(int n, long[] primes) {
        this.n = n;
        this.moduli = new Modulus[primes.length];
        this.ntts = new Ntt[primes.length];
        for (int i = 0; i < primes.length; i++) {
            if (!Primes.isNttPrime(primes[i], n)) throw new IllegalArgumentException(primes[i] + " is not an NTT-friendly prime for N=" + n);
            moduli[i] = new Modulus(primes[i]);
            ntts[i] = new Ntt(n, moduli[i]);
        }
        int k = primes.length;
        negPrimeMod = new long[k][k];
        invPrimeMod = new long[k][k];
        invPrimeModShoup = new long[k][k];
        for (int last = 0; last < k; last++) {
            for (int i = 0; i < k; i++) {
                if (i == last) continue;
                Modulus m = moduli[i];
                long r = m.reduce(moduli[last].value());
                negPrimeMod[last][i] = m.value() - r;
                invPrimeMod[last][i] = m.inverse(r);
                invPrimeModShoup[last][i] = m.shoup(invPrimeMod[last][i]);
            }
        }
    }

    public int n() { return n; }

    public int size() { return moduli.length; }

    public Modulus modulus(int i) { return moduli[i]; }

    public Ntt ntt(int i) { return ntts[i]; }

    public long[][] newPoly(int limbs) { return new long[limbs][n]; }

    public static long[][] copy(long[][] p) {
        long[][] c = new long[p.length][];
        for (int i = 0; i < p.length; i++) c[i] = p[i].clone();
        return c;
    }

    /** Forward NTT of every limb; limb i of p uses prime index idx[i] (or i when idx is null). */
    public void forward(long[][] p, int[] idx) {
        for (int i = 0; i < p.length; i++) ntts[idx == null ? i : idx[i]].forward(p[i]);
    }

    public void inverse(long[][] p, int[] idx) {
        for (int i = 0; i < p.length; i++) ntts[idx == null ? i : idx[i]].inverse(p[i]);
    }

    /**
     * out[i] = (x[i] - [last]_centred) / q_last mod q_i for i < limbs, all in NTT form: the rounded division by the
     * prime of index {@code lastIdx} (CKKS rescaling, or the mod-down by the special prime after key switching).
     * {@code last} is that prime's limb in NTT form and is overwritten (inverse NTT in place); out may be x. When
     * {@code addend} is given, its limb i (read through the NTT-slot permutation {@code perm} when that is not null)
     * is added to out[i] in the same pass; addend must not alias out when perm is given. Allocates nothing: one
     * per-thread N-coefficient buffer holds each limb's lifted correction.
     */
    public void divideRoundByLast(long[][] x, long[] last, int lastIdx, int limbs, long[][] out, long[][] addend, int[] perm) {
        ntts[lastIdx].inverse(last);
        long ql = moduli[lastIdx].value(), half = ql >>> 1;
        Parallel.forEach(limbs, i -> {
            Modulus m = moduli[i];
            long q = m.value();
            long negQl = negPrimeMod[lastIdx][i]; // -q_last mod q_i, lifts the centred value
            long inv = invPrimeMod[lastIdx][i], invS = invPrimeModShoup[lastIdx][i];
            long[] t = scratch(0);
            for (int j = 0; j < t.length; j++) {
                long v = last[j];
                long r = v < q ? v : m.reduce(v);
                r += negQl & ((half - v) >> 63); // v > half: centred value v - q_last (branch-free: v is random)
                t[j] = r - (q & ((q - 1 - r) >> 63));
            }
            ntts[i].forward(t);
            long[] xi = x[i], o = out[i];
            if (addend == null) {
                for (int j = 0; j < o.length; j++) o[j] = m.mulShoupSmall(xi[j] - t[j] + q, inv, invS);
            } else if (perm == null) {
                long[] ad = addend[i];
                for (int j = 0; j < o.length; j++) {
                    long r = m.mulShoupSmall(xi[j] - t[j] + q, inv, invS) + ad[j];
                    o[j] = r >= q ? r - q : r;
                }
            } else {
                long[] ad = addend[i];
                for (int j = 0; j < o.length; j++) {
                    long r = m.mulShoupSmall(xi[j] - t[j] + q, inv, invS) + ad[perm[j]];
                    o[j] = r >= q ? r - q : r;
                }
            }
        });
    }

    private static final ThreadLocal<long[][]> SCRATCH = new ThreadLocal<>();

    /**
     * Per-thread reusable N-coefficient buffer number {@code k} (0 or 1): 0 is used inside
     * {@link #divideRoundByLast}'s per-limb work, 1 is free for a caller's copy of the last limb. Contents are
     * undefined on entry; never hold one across a call that may run other tasks on this thread.
     */
    public long[] scratch(int k) {
        long[][] s = SCRATCH.get();
        if (s == null || s[0].length != n) {
            s = new long[][]{new long[n], new long[n]};
            SCRATCH.set(s);
        }
        return s[k];
    }

    /** Small signed coefficients (e.g. a secret or error) into every limb of an RNS polynomial. */
    public long[][] fromSigned(long[] coeffs, int[] primeIdx) {
        long[][] p = new long[primeIdx.length][n];
        for (int i = 0; i < primeIdx.length; i++) {
            Modulus m = moduli[primeIdx[i]];
            for (int j = 0; j < n; j++) p[i][j] = m.reduceSigned(coeffs[j]);
        }
        return p;
    }

    public static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    /** CRT reconstruction of coefficient j of p (limbs = primes 0..k-1), centred in (-Q/2, Q/2]. */
    public BigInteger[] crtCentered(long[][] p) {
        int k = p.length;
        BigInteger bigQ = BigInteger.ONE;
        for (int i = 0; i < k; i++) bigQ = bigQ.multiply(BigInteger.valueOf(moduli[i].value()));
        BigInteger[] basis = new BigInteger[k];
        for (int i = 0; i < k; i++) {
            BigInteger qi = BigInteger.valueOf(moduli[i].value());
            BigInteger qHat = bigQ.divide(qi);
            basis[i] = qHat.multiply(qHat.modInverse(qi));
        }
        BigInteger half = bigQ.shiftRight(1);
        BigInteger[] out = new BigInteger[n];
        for (int j = 0; j < n; j++) {
            BigInteger acc = BigInteger.ZERO;
            for (int i = 0; i < k; i++) acc = acc.add(basis[i].multiply(BigInteger.valueOf(p[i][j])));
            acc = acc.mod(bigQ);
            if (acc.compareTo(half) > 0) acc = acc.subtract(bigQ);
            out[j] = acc;
        }
        return out;
    }

    /** Garner constants per number of limbs k: inv[i][j] = q_j^-1 mod q_i (j < i) and floor(Q/2) in mixed radix. */
    private final java.util.concurrent.ConcurrentHashMap<Integer, long[][]> garner = new java.util.concurrent.ConcurrentHashMap<>();

    private long[][] garnerTables(int k) {
        return garner.computeIfAbsent(k, kk -> {
            long[][] t = new long[kk + 1][];
            BigInteger bigQ = BigInteger.ONE;
            for (int i = 0; i < kk; i++) {
                t[i] = new long[i];
                for (int j = 0; j < i; j++) t[i][j] = moduli[i].inverse(moduli[i].reduce(moduli[j].value()));
                bigQ = bigQ.multiply(BigInteger.valueOf(moduli[i].value()));
            }
            long[] half = new long[kk];
            BigInteger h = bigQ.shiftRight(1);
            for (int i = 0; i < kk; i++) {
                BigInteger qi = BigInteger.valueOf(moduli[i].value());
                half[i] = h.mod(qi).longValue();
                h = h.divide(qi);
            }
            t[kk] = half;
            return t;
        });
    }

    /**
     * Centred CRT reconstruction of every coefficient (limbs = primes 0..k-1) divided by {@code divisor}, as doubles:
     * Garner's mixed-radix conversion (k(k-1)/2 modular products per coefficient, no BigInteger), then Horner in
     * double precision. Negative values are evaluated from the digits of Q-1-v (q_i-1-a_i, no borrows), so small
     * values of either sign are exact before the final division.
     */
    public double[] crtCenteredDoubles(long[][] p, double divisor) {
        int k = p.length;
        long[][] t = garnerTables(k);
        long[] half = t[k];
        double[] out = new double[n];
        long[] a = new long[k];
        for (int c = 0; c < n; c++) {
            for (int i = 0; i < k; i++) {
                Modulus m = moduli[i];
                long x = p[i][c];
                for (int j = 0; j < i; j++) {
                    long aj = a[j] < m.value() ? a[j] : m.reduce(a[j]);
                    x = m.mul(m.sub(x, aj), t[i][j]);
                }
                a[i] = x;
            }
            int cmp = 0; // v compared with floor(Q/2), most significant digit first
            for (int i = k - 1; i >= 0 && cmp == 0; i--) cmp = Long.compare(a[i], half[i]);
            double v = 0;
            if (cmp <= 0) {
                for (int i = k - 1; i >= 0; i--) v = v * moduli[i].value() + a[i];
            } else {
                for (int i = k - 1; i >= 0; i--) v = v * moduli[i].value() + (moduli[i].value() - 1 - a[i]);
                v = -(v + 1);
            }
            out[c] = v / divisor;
        }
        return out;
    }

    @Override
    public String toString() {
        return "RingContext(N=" + n + ", primes=" + Arrays.toString(Arrays.stream(moduli).mapToLong(Modulus::value).toArray()) + ")";
    }
}
