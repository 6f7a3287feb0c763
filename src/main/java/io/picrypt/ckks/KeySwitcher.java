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
            long[][] bufs = digitBuffers(limbs);
            long[][] dig = new long[limbs][], kb = new long[limbs][], ka = new long[limbs][];
            for (int i = 0; i < limbs; i++) {
                dig[i] = digits.digit(i, t, pj, bufs[i]);
                kb[i] = key.b[i][pj];
                ka[i] = key.a[i][pj];
            }
            long[] a0 = t < limbs ? acc0[t] : acc0[w.spRow], a1 = t < limbs ? acc1[t] : acc1[w.spRow];
            for (int i = 0; i < limbs; i += 4) {
                gadgetProduct(ring.modulus(pj), dig, kb, ka, i, Math.min(limbs, i + 4), a0, a1, i > 0);
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

    private static final ThreadLocal<long[][]> DIGIT_BUFFERS = new ThreadLocal<>();

    /** Per-thread buffers for the lifted digits of one target prime (one per digit), N coefficients each. */
    private long[][] digitBuffers(int limbs) {
        long[][] s = DIGIT_BUFFERS.get();
        if (s == null || s.length < limbs || s[0].length != params.n()) {
            s = new long[params.maxLevel() + 1][params.n()];
            DIGIT_BUFFERS.set(s);
        }
        return s;
    }

    /**
     * The carry out of the unsigned sum s = a + b, branch-free (Long.compareUnsigned compiled to a branch that
     * mispredicted on random products: 20% of a rotation's samples in a JFR profile).
     */
    private static long carry(long a, long b, long s) {
        return ((a & b) | ((a | b) & ~s)) >>> 63;
    }

    /** (a + b) mod q for a, b in [0, q), branch-free: the tail of every {@link #gadgetProduct} case. */
    private static long addMod(long a, long b, long q) {
        long r = a + b;
        return r - (q & ((q - 1 - r) >> 63));
    }

    /**
     * (o0, o1) = (add ? (o0, o1) : 0) + sum over digits i in [from, to) of dig[i] * (kb[i], ka[i]) mod q, at most
     * four digits: the products (below 2^120 each, primes have at most 60 bits) are summed as 128-bit values in
     * registers and reduced once per coefficient ({@link Modulus#reduceSum4}), one pass over memory per target prime.
     */
    private static void gadgetProduct(Modulus mj, long[][] dig, long[][] kb, long[][] ka, int from, int to,
                                      long[] o0, long[] o1, boolean add) {
        int n = o0.length;
        long q = mj.value();
        switch (to - from) {
            case 3 -> {
                long[] d0 = dig[from], d1 = dig[from + 1], d2 = dig[from + 2];
                long[] b0 = kb[from], b1 = kb[from + 1], b2 = kb[from + 2];
                long[] a0 = ka[from], a1 = ka[from + 1], a2 = ka[from + 2];
                for (int j = 0; j < n; j++) {
                    long x0 = d0[j], x1 = d1[j], x2 = d2[j];
                    long p0 = x0 * b0[j], p1 = x1 * b1[j], p2 = x2 * b2[j];
                    long lo = p0 + p1, c = carry(p0, p1, lo);
                    long lo2 = lo + p2;
                    c += carry(lo, p2, lo2);
                    long hi = Math.multiplyHigh(x0, b0[j]) + Math.multiplyHigh(x1, b1[j]) + Math.multiplyHigh(x2, b2[j]) + c;
                    long r0 = mj.reduceSum4(hi, lo2);
                    p0 = x0 * a0[j]; p1 = x1 * a1[j]; p2 = x2 * a2[j];
                    lo = p0 + p1;
                    c = carry(p0, p1, lo);
                    lo2 = lo + p2;
                    c += carry(lo, p2, lo2);
                    hi = Math.multiplyHigh(x0, a0[j]) + Math.multiplyHigh(x1, a1[j]) + Math.multiplyHigh(x2, a2[j]) + c;
                    long r1 = mj.reduceSum4(hi, lo2);
                    o0[j] = add ? addMod(r0, o0[j], q) : r0;
                    o1[j] = add ? addMod(r1, o1[j], q) : r1;
                }
            }
            case 2 -> {
                long[] d0 = dig[from], d1 = dig[from + 1];
                long[] b0 = kb[from], b1 = kb[from + 1], a0 = ka[from], a1 = ka[from + 1];
                for (int j = 0; j < n; j++) {
                    long x0 = d0[j], x1 = d1[j];
                    long p0 = x0 * b0[j], p1 = x1 * b1[j], lo = p0 + p1;
                    long hi = Math.multiplyHigh(x0, b0[j]) + Math.multiplyHigh(x1, b1[j]) + carry(p0, p1, lo);
                    long r0 = mj.reduceSum4(hi, lo);
                    p0 = x0 * a0[j];
                    p1 = x1 * a1[j];
                    lo = p0 + p1;
                    hi = Math.multiplyHigh(x0, a0[j]) + Math.multiplyHigh(x1, a1[j]) + carry(p0, p1, lo);
                    long r1 = mj.reduceSum4(hi, lo);
                    o0[j] = add ? addMod(r0, o0[j], q) : r0;
                    o1[j] = add ? addMod(r1, o1[j], q) : r1;
                }
            }
            default -> { // 1 or 4 digits
                for (int j = 0; j < n; j++) {
                    long hb = 0, lb = 0, ha = 0, la = 0;
                    for (int i = from; i < to; i++) {
                        long x = dig[i][j], yb = kb[i][j], ya = ka[i][j];
                        long pb = x * yb, pa = x * ya;
                        long sb = lb + pb, sa = la + pa;
                        hb += Math.multiplyHigh(x, yb) + carry(lb, pb, sb);
                        ha += Math.multiplyHigh(x, ya) + carry(la, pa, sa);
                        lb = sb;
                        la = sa;
                    }
                    long r0 = mj.reduceSum4(hb, lb), r1 = mj.reduceSum4(ha, la);
                    o0[j] = add ? addMod(r0, o0[j], q) : r0;
                    o1[j] = add ? addMod(r1, o1[j], q) : r1;
                }
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
