package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.Parallel;
import io.picrypt.ring.RingContext;

/**
 * Key switching (hybrid RNS key switching with one special prime P, as Lattigo keeps it in its rlwe layer:
 * decompose, gadget product, mod-down). Given d in NTT form over data primes 0..level and a key from s' to s, it
 * produces (r0, r1) with r0 + r1*s ~ d*s': one digit per data prime, each digit [d]_{q_i} centred in
 * (-q_i/2, q_i/2], lifted to every data prime and P, multiplied by the key's digit and summed with lazy 128-bit
 * accumulation; then the rounded division by P. The added noise is about
 * sqrt(N * sigma^2 * sum_i q_i^2 / 12) / P + (1 + ||s||) / 2 per coefficient.
 *
 * <p>One driver serves both digit sources: streamed (each digit lifted and transformed while it is in cache, for a
 * single switch) and precomputed (the decomposition computed once and permuted per Galois element: hoisted
 * rotations). {@link Evaluator} keeps the ciphertext arithmetic and calls this class for relinearization and
 * automorphisms. The caller's buffers (accumulators, coefficient copies) are pooled per thread: a key switch
 * allocates no polynomial-sized arrays.
 */
final class KeySwitcher {
    private final CkksParameters params;
    private final RingContext ring;

    KeySwitcher(CkksParameters params) {
        this.params = params;
        this.ring = params.ring();
    }

    /** Where the digits come from: digit i lifted to target t (prime pj), NTT form; may use {@code buf}. */
    private interface DigitSource {
        long[] digit(int i, int t, int pj, long[] buf);
    }

    /**
     * out0 = ks0 + perm(add0), out1 = ks1 + add1, where (ks0, ks1) is the key switch of perm(d) (d in NTT form, limbs
     * 0..limbs-1; perm an NTT-slot permutation, i.e. an automorphism, or null for none). add0, add1 may be null;
     * out0 and out1 need {@code limbs} limbs and must not alias d, add0 (when perm is given) or each other.
     */
    void switchKey(long[][] dIn, SwitchingKey key, int limbs, long[][] add0, int[] perm, long[][] add1,
                   long[][] out0, long[][] out1) {
        Workspace w = Workspace.acquire(params, limbs);
        try {
            long[][] coeffs = w.coeffs;
            long[][] d = perm == null ? dIn : w.permuted;
            Parallel.forEach(limbs, i -> {
                if (perm != null) Automorphism.applyNtt(dIn[i], d[i], perm);
                System.arraycopy(d[i], 0, coeffs[i], 0, coeffs[i].length);
                ring.ntt(i).inverse(coeffs[i]);
            });
            // streamed: each digit is lifted, transformed and multiplied while it is still in cache
            DigitSource streamed = (i, t, pj, buf) -> {
                if (pj == i) return d[i];
                liftCentred(coeffs[i], ring.modulus(i).value(), ring.modulus(pj), buf);
                ring.ntt(pj).forward(buf);
                return buf;
            };
            drive(streamed, key, limbs, w, add0, perm, add1, out0, out1);
        } finally {
            w.release();
        }
    }

    /**
     * The digits of d: digit i is [d]_{q_i} in coefficient form, CENTRED in (-q_i/2, q_i/2], lifted to every target
     * prime (data primes 0..limbs-1, then the special prime) and transformed: [digit][target][coeff], NTT form.
     * Centring matters for precision, not only for size: an uncentred digit has mean q_i/2 in every coefficient,
     * and (q_i/2) * (1 + X + ... + X^(N-1)) * e is an error that the canonical embedding concentrates in the slots
     * near the root 1 (measured: max slot error 3-4x the fresh error with a 60-bit q_0; ~1.1x when centred).
     */
    long[][][] decompose(long[][] d, int limbs) {
        int sp = params.specialIndex();
        long[][][] digits = new long[limbs][limbs + 1][];
        Parallel.forEach(limbs, i -> {
            long[] coeff = d[i].clone();
            ring.ntt(i).inverse(coeff);
            long qi = ring.modulus(i).value();
            for (int t = 0; t <= limbs; t++) {
                int pj = t < limbs ? t : sp;
                if (pj == i) {
                    digits[i][t] = d[i];
                    continue;
                }
                long[] lifted = new long[coeff.length];
                liftCentred(coeff, qi, ring.modulus(pj), lifted);
                ring.ntt(pj).forward(lifted);
                digits[i][t] = lifted;
            }
        });
        return digits;
    }

    /**
     * The key switch of the automorphism (perm) of the decomposed polynomial, from precomputed digits (hoisting:
     * automorphisms commute with the decomposition, so each Galois element only permutes the digits), with add0
     * read through the same permutation added to out0.
     */
    void switchKeyHoisted(long[][][] digits, SwitchingKey key, int limbs, int[] perm, long[][] add0,
                          long[][] out0, long[][] out1) {
        Workspace w = Workspace.acquire(params, limbs);
        try {
            DigitSource precomputed = perm == null ? (i, t, pj, buf) -> digits[i][t] : (i, t, pj, buf) -> {
                Automorphism.applyNtt(digits[i][t], buf, perm);
                return buf;
            };
            drive(precomputed, key, limbs, w, add0, perm, null, out0, out1);
        } finally {
            w.release();
        }
    }

    /** The one driver: gadget product over all digits per target prime, then the mod-down of both accumulators. */
    private void drive(DigitSource digits, SwitchingKey key, int limbs, Workspace w, long[][] add0, int[] perm,
                       long[][] add1, long[][] out0, long[][] out1) {
        int sp = params.specialIndex();
        long[][] acc0 = w.acc0, acc1 = w.acc1;
        Parallel.forEach(limbs + 1, t -> {
            int pj = t < limbs ? t : sp;
            Modulus mj = ring.modulus(pj);
            long[][] s = lazyScratch();
            long[] a0 = t < limbs ? acc0[t] : acc0[w.spRow], a1 = t < limbs ? acc1[t] : acc1[w.spRow];
            java.util.Arrays.fill(a0, 0);
            java.util.Arrays.fill(a1, 0);
            for (int i = 0; i < limbs; i++) {
                long[] digit = digits.digit(i, t, pj, s[4]);
                accumulateDigitProduct(mj, digit, key.b[i][pj], key.a[i][pj], a0, a1, s, i, limbs);
            }
        });
        ring.divideRoundByLast(acc0, acc0[w.spRow], sp, limbs, out0, add0, perm);
        ring.divideRoundByLast(acc1, acc1[w.spRow], sp, limbs, out1, add1, null);
    }

    /** out = the centred value of c (residues mod qi) lifted to mj's prime. */
    private static void liftCentred(long[] c, long qi, Modulus mj, long[] out) {
        long q = mj.value(), half = qi >>> 1;
        long negQi = q - mj.reduce(qi);
        for (int j = 0; j < out.length; j++) {
            long v = c[j];
            long r = v < q ? v : mj.reduce(v);
            r += negQi & ((half - v) >> 63); // v > half: v - q_i (branch-free: v is random)
            out[j] = r - (q & ((q - 1 - r) >> 63));
        }
    }

    private static final ThreadLocal<long[][]> LAZY = new ThreadLocal<>();

    /** Per-thread 128-bit accumulators (hi0, lo0, hi1, lo1) and a digit buffer, N coefficients each. */
    private long[][] lazyScratch() {
        long[][] s = LAZY.get();
        if (s == null || s[0].length != params.n()) {
            s = new long[5][params.n()];
            LAZY.set(s);
        }
        return s;
    }

    /**
     * Digit i of a key switch: (o0, o1) += digit * (kb, ka) mod q. With primes of at most 60 bits the products of
     * up to four digits are summed as 128-bit values (s[0..3]) and reduced once (lazy reduction).
     */
    private static void accumulateDigitProduct(Modulus mj, long[] digit, long[] kb, long[] ka, long[] o0, long[] o1,
                                               long[][] s, int i, int digits) {
        int n = digit.length;
        long q = mj.value();
        if (!mj.supportsLazySums()) {
            for (int j = 0; j < n; j++) {
                long x = digit[j];
                long s0 = o0[j] + mj.mul(x, kb[j]);
                long s1 = o1[j] + mj.mul(x, ka[j]);
                o0[j] = s0 >= q ? s0 - q : s0;
                o1[j] = s1 >= q ? s1 - q : s1;
            }
            return;
        }
        long[] h0 = s[0], l0 = s[1], h1 = s[2], l1 = s[3];
        if (i % 4 == 0) {
            for (int j = 0; j < n; j++) {
                long x = digit[j], yb = kb[j], ya = ka[j];
                l0[j] = x * yb;
                h0[j] = Math.multiplyHigh(x, yb);
                l1[j] = x * ya;
                h1[j] = Math.multiplyHigh(x, ya);
            }
        } else {
            for (int j = 0; j < n; j++) {
                long x = digit[j], yb = kb[j], ya = ka[j];
                long pb = x * yb, pa = x * ya;
                long s0 = l0[j] + pb, s1 = l1[j] + pa;
                h0[j] += Math.multiplyHigh(x, yb) + (Long.compareUnsigned(s0, pb) < 0 ? 1 : 0);
                h1[j] += Math.multiplyHigh(x, ya) + (Long.compareUnsigned(s1, pa) < 0 ? 1 : 0);
                l0[j] = s0;
                l1[j] = s1;
            }
        }
        if (i % 4 == 3 || i == digits - 1) {
            for (int j = 0; j < n; j++) {
                long r0 = mj.reduceSum4(h0[j], l0[j]) + o0[j], r1 = mj.reduceSum4(h1[j], l1[j]) + o1[j];
                o0[j] = r0 >= q ? r0 - q : r0;
                o1[j] = r1 >= q ? r1 - q : r1;
            }
        }
    }

    /**
     * The polynomial-sized buffers of one key switch, pooled per calling thread: the two accumulators over the data
     * primes and P (row {@code spRow} holds P's limb), the coefficient-form copy of d, and a buffer for a permuted
     * input. A thread that re-enters (a fork-join worker helping another task of the same computation) gets a fresh
     * workspace instead of the busy one.
     */
    static final class Workspace {
        private static final ThreadLocal<Workspace> POOL = new ThreadLocal<>();

        final long[][] acc0, acc1, coeffs, permuted;
        final int spRow;
        private boolean busy;

        private Workspace(int n, int maxLimbs) {
            acc0 = new long[maxLimbs + 1][n];
            acc1 = new long[maxLimbs + 1][n];
            coeffs = new long[maxLimbs][n];
            permuted = new long[maxLimbs][n];
            spRow = maxLimbs;
        }

        static Workspace acquire(CkksParameters p, int limbs) {
            int maxLimbs = p.maxLevel() + 1;
            Workspace w = POOL.get();
            if (w == null || w.spRow != maxLimbs || w.acc0[0].length != p.n()) {
                w = new Workspace(p.n(), maxLimbs);
                POOL.set(w);
            } else if (w.busy) {
                return new Workspace(p.n(), maxLimbs); // re-entered: a private one, not pooled
            }
            w.busy = true;
            return w;
        }

        void release() { busy = false; }
    }
}
