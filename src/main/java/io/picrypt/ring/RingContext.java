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

    public RingContext(int n, long[] primes) {
        this.n = n;
        this.moduli = new Modulus[primes.length];
        this.ntts = new Ntt[primes.length];
        for (int i = 0; i < primes.length; i++) {
            if (!Primes.isNttPrime(primes[i], n)) throw new IllegalArgumentException(primes[i] + " is not an NTT-friendly prime for N=" + n);
            moduli[i] = new Modulus(primes[i]);
            ntts[i] = new Ntt(n, moduli[i]);
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

    @Override
    public String toString() {
        return "RingContext(N=" + n + ", primes=" + Arrays.toString(Arrays.stream(moduli).mapToLong(Modulus::value).toArray()) + ")";
    }
}
