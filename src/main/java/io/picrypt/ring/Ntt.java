package io.picrypt.ring;

/**
 * Negacyclic number-theoretic transform over Z_q[X]/(X^N + 1) for one prime: Cooley-Tukey forward,
 * Gentleman-Sande inverse, Shoup-precomputed twiddles (w' = floor(w 2^63 / q), see {@link #mulLazy}) and Harvey's
 * lazy butterflies (values kept in [0, 4q) between stages, below 2^62 since q < 2^60; one correction at the end).
 * The NTT domain is in bit-reversed order (index k holds a(psi^(2 brev(k) + 1)), which automorphisms rely on);
 * only pointwise operations happen there.
 *
 * <p>Loop structure (measured, issue 16): the long-stride stages go two at a time (radix-4 data flow, half the
 * memory passes) in their own small methods, which C2 compiles better than one big loop nest; the three
 * shortest-stride stages (t = 4, 2, 1) are one straight-line radix-8 block per 8 coefficients, because inner
 * loops of 1-4 iterations cost more in loop overhead than in arithmetic. The conditional subtractions of the
 * final correction are branch-free ({@link #csub}): their outcome is random, and C2 compiled some of them as
 * branches that mispredicted about half the time (the last stage took 2.5x a middle stage).
 */
public final class Ntt {
    private final int n;
    private final int logN;
    private final Modulus mod;
    private final long q;
    private final long[] w, ws;   // psi^bitrev(i) and Shoup companions floor(w 2^63 / q)
    private final long[] wi, wis; // psi^-bitrev(i)
    private final long nInv, nInvShoup;
    private final long wLastN, wLastNShoup; // psi^-bitrev(1) / N: the inverse's last twiddle with 1/N folded in
    private final long psi;

    public Ntt(int n, Modulus mod) {
        if (Integer.bitCount(n) != 1 || n < 8) throw new IllegalArgumentException("N must be a power of two >= 8");
        if (mod.value() % (2L * n) != 1) throw new IllegalArgumentException(mod + " is not 1 mod 2N");
        this.n = n;
        this.logN = Integer.numberOfTrailingZeros(n);
        this.mod = mod;
        this.q = mod.value();
        this.psi = Primes.primitiveRoot2N(mod, n);
        long psiInv = mod.inverse(psi);
        w = new long[n];
        ws = new long[n];
        wi = new long[n];
        wis = new long[n];
        long p = 1, pi = 1;
        long[] pow = new long[n], powInv = new long[n];
        for (int i = 0; i < n; i++) {
            pow[i] = p;
            powInv[i] = pi;
            p = mod.mul(p, psi);
            pi = mod.mul(pi, psiInv);
        }
        for (int i = 0; i < n; i++) {
            int r = Integer.reverse(i) >>> (32 - logN);
            w[i] = pow[r];
            wi[i] = powInv[r];
            ws[i] = shoup63(w[i]);
            wis[i] = shoup63(wi[i]);
        }
        nInv = mod.inverse(n);
        nInvShoup = shoup63(nInv);
        wLastN = mod.mul(wi[1], nInv);
        wLastNShoup = shoup63(wLastN);
    }

    /** floor(w 2^63 / q), the Shoup companion this class uses (see {@link #mulLazy}). */
    private long shoup63(long w) {
        return java.math.BigInteger.valueOf(w).shiftLeft(63).divide(java.math.BigInteger.valueOf(q)).longValue();
    }

    public int n() { return n; }

    public Modulus modulus() { return mod; }

    /** The primitive 2N-th root of unity used (psi^N = -1). */
    public long psi() { return psi; }

    /**
     * y * w mod q in [0, 2q) for 0 <= y < 4q < 2^62, with ws = floor(w 2^63 / q) < 2^63: the quotient estimate
     * floor(2y ws / 2^64) = floor(y ws / 2^63) is off by at most one (y / 2^63 < 1/2), and both operands of the signed
     * high product are non-negative, so no unsigned fix-up is needed.
     */
    private static long mulLazy(long y, long w, long ws, long q) {
        return y * w - Math.multiplyHigh(y << 1, ws) * q;
    }

    /** x - m when x >= m, else x; branch-free. */
    private static long csub(long x, long m) {
        long y = x - m;
        return y + (m & (y >> 63));
    }

    /** In-place forward transform; input in [0, q) (any values below 4q work), output in [0, q), bit-reversed order. */
    public void forward(long[] a) {
        int m = 1, t = n >> 1;
        if ((logN & 1) == 0) { // an even number of stages before the radix-8 block's three: one single stage first
            forwardStage(a, t);
            m = 2;
            t >>= 1;
        }
        for (; t >= 16; m <<= 2, t >>= 2) forwardPair(a, m, t);
        forwardLast3(a);
    }

    /** The first stage (m = 1, one twiddle); output in [0, 4q). */
    private void forwardStage(long[] a, int t) {
        final long q = this.q, twoQ = 2 * q, w1 = w[1], s1 = ws[1];
        for (int j = 0; j < t; j++) {
            long x = a[j];
            if (x >= twoQ) x -= twoQ;
            long v = mulLazy(a[j + t], w1, s1, q);
            a[j] = x + v;
            a[j + t] = x - v + twoQ;
        }
    }

    /** Stages (m, t) and (2m, t/2) in one pass; values in [0, 4q). */
    private void forwardPair(long[] a, int m, int t) {
        final long q = this.q, twoQ = 2 * q;
        final int t2 = t >> 1;
        for (int i = 0; i < m; i++) {
            final int j1 = 2 * i * t, ia = 2 * m + 2 * i;
            final long w0 = w[m + i], s0 = ws[m + i];
            final long wa = w[ia], sa = ws[ia], wb = w[ia + 1], sb = ws[ia + 1];
            for (int j = j1, e = j1 + t2; j < e; j++) {
                long x0 = a[j], x1 = a[j + t2], x2 = a[j + t], x3 = a[j + t + t2];
                // (these compares: C2 emits conditional moves here, measured faster than the branch-free form)
                if (x0 >= twoQ) x0 -= twoQ;
                if (x1 >= twoQ) x1 -= twoQ;
                long v2 = mulLazy(x2, w0, s0, q), v3 = mulLazy(x3, w0, s0, q);
                long y0 = x0 + v2, y2 = x0 - v2 + twoQ, y1 = x1 + v3, y3 = x1 - v3 + twoQ;
                if (y0 >= twoQ) y0 -= twoQ;
                if (y2 >= twoQ) y2 -= twoQ;
                long u1 = mulLazy(y1, wa, sa, q), u3 = mulLazy(y3, wb, sb, q);
                a[j] = y0 + u1;
                a[j + t2] = y0 - u1 + twoQ;
                a[j + t] = y2 + u3;
                a[j + t + t2] = y2 - u3 + twoQ;
            }
        }
    }

    /** Stages t = 4, 2, 1 as one radix-8 block per 8 coefficients, with the final reduction to [0, q). */
    private void forwardLast3(long[] a) {
        final long q = this.q, twoQ = 2 * q;
        final int m4 = n >> 3, m2 = n >> 2, m1 = n >> 1;
        for (int b = 0; b < m4; b++) {
            final int j = 8 * b;
            long x0 = csub(a[j], twoQ), x1 = csub(a[j + 1], twoQ), x2 = csub(a[j + 2], twoQ), x3 = csub(a[j + 3], twoQ);
            long w0 = w[m4 + b], s0 = ws[m4 + b];
            long v4 = mulLazy(a[j + 4], w0, s0, q), v5 = mulLazy(a[j + 5], w0, s0, q);
            long v6 = mulLazy(a[j + 6], w0, s0, q), v7 = mulLazy(a[j + 7], w0, s0, q);
            long y0 = csub(x0 + v4, twoQ), y4 = csub(x0 - v4 + twoQ, twoQ), y1 = csub(x1 + v5, twoQ);
            long y5 = csub(x1 - v5 + twoQ, twoQ);
            long y2 = x2 + v6, y6 = x2 - v6 + twoQ, y3 = x3 + v7, y7 = x3 - v7 + twoQ;
            // t = 2: (y0, y2), (y1, y3) with twiddle 2b; (y4, y6), (y5, y7) with 2b + 1
            int k = m2 + 2 * b;
            long wa = w[k], sa = ws[k], wb = w[k + 1], sb = ws[k + 1];
            long u2 = mulLazy(y2, wa, sa, q), u3 = mulLazy(y3, wa, sa, q);
            long u6 = mulLazy(y6, wb, sb, q), u7 = mulLazy(y7, wb, sb, q);
            long z0 = csub(y0 + u2, twoQ), z2 = csub(y0 - u2 + twoQ, twoQ);
            long z1 = y1 + u3, z3 = y1 - u3 + twoQ;
            long z4 = csub(y4 + u6, twoQ), z6 = csub(y4 - u6 + twoQ, twoQ);
            long z5 = y5 + u7, z7 = y5 - u7 + twoQ;
            // t = 1: (z0, z1), (z2, z3), (z4, z5), (z6, z7) with twiddles 4b .. 4b + 3
            k = m1 + 4 * b;
            long r1 = mulLazy(z1, w[k], ws[k], q), r3 = mulLazy(z3, w[k + 1], ws[k + 1], q);
            long r5 = mulLazy(z5, w[k + 2], ws[k + 2], q), r7 = mulLazy(z7, w[k + 3], ws[k + 3], q);
            a[j] = csub(csub(z0 + r1, twoQ), q);
            a[j + 1] = csub(csub(z0 - r1 + twoQ, twoQ), q);
            a[j + 2] = csub(csub(z2 + r3, twoQ), q);
            a[j + 3] = csub(csub(z2 - r3 + twoQ, twoQ), q);
            a[j + 4] = csub(csub(z4 + r5, twoQ), q);
            a[j + 5] = csub(csub(z4 - r5 + twoQ, twoQ), q);
            a[j + 6] = csub(csub(z6 + r7, twoQ), q);
            a[j + 7] = csub(csub(z6 - r7 + twoQ, twoQ), q);
        }
    }

    /** In-place inverse transform; input in [0, q) bit-reversed (any values below 2q work), output in [0, q) natural order. */
    public void inverse(long[] a) {
        int t = 4;
        if (n == 8) inverseFirst2(a); // too short for the radix-8 block plus a scaled last stage
        else {
            inverseFirst3(a);
            for (t = 8; t < n >> 1; t <<= 1) inverseStage(a, t);
        }
        inverseLast(a, t);
    }

    /** Stages t = 1 and 2 as one radix-4 block per 4 coefficients; output in [0, 2q). */
    private void inverseFirst2(long[] a) {
        final long q = this.q, twoQ = 2 * q;
        final int m1 = n >> 1, m2 = n >> 2;
        for (int i = 0; i < m2; i++) {
            final int j = 4 * i, k = m1 + 2 * i;
            long x0 = a[j], x1 = a[j + 1], x2 = a[j + 2], x3 = a[j + 3];
            long y0 = csub(x0 + x1, twoQ);
            long y1 = mulLazy(x0 - x1 + twoQ, wi[k], wis[k], q);
            long y2 = csub(x2 + x3, twoQ);
            long y3 = mulLazy(x2 - x3 + twoQ, wi[k + 1], wis[k + 1], q);
            final long w0 = wi[m2 + i], s0 = wis[m2 + i];
            long z0 = csub(y0 + y2, twoQ);
            long z1 = csub(y1 + y3, twoQ);
            a[j] = z0;
            a[j + 1] = z1;
            a[j + 2] = mulLazy(y0 - y2 + twoQ, w0, s0, q);
            a[j + 3] = mulLazy(y1 - y3 + twoQ, w0, s0, q);
        }
    }

    /** One stage with stride t (n / 2t groups); values in [0, 2q). */
    private void inverseStage(long[] a, int t) {
        final long q = this.q, twoQ = 2 * q;
        final int h = n / (2 * t);
        for (int i = 0; i < h; i++) {
            final int j1 = 2 * t * i;
            final long w0 = wi[h + i], s0 = wis[h + i];
            for (int j = j1, e = j1 + t; j < e; j++) {
                long u = a[j], v = a[j + t];
                a[j] = csub(u + v, twoQ);
                a[j + t] = mulLazy(u - v + twoQ, w0, s0, q);
            }
        }
    }

    /** Stages t = 1, 2, 4 as one radix-8 block per 8 coefficients; output in [0, 2q). */
    private void inverseFirst3(long[] a) {
        final long q = this.q, twoQ = 2 * q;
        final int m1 = n >> 1, m2 = n >> 2, m4 = n >> 3;
        for (int b = 0; b < m4; b++) {
            final int j = 8 * b;
            long x0 = a[j], x1 = a[j + 1], x2 = a[j + 2], x3 = a[j + 3];
            long x4 = a[j + 4], x5 = a[j + 5], x6 = a[j + 6], x7 = a[j + 7];
            // t = 1: (x0, x1), (x2, x3), (x4, x5), (x6, x7) with twiddles 4b .. 4b + 3
            int k = m1 + 4 * b;
            long y0 = csub(x0 + x1, twoQ), y1 = mulLazy(x0 - x1 + twoQ, wi[k], wis[k], q);
            long y2 = csub(x2 + x3, twoQ), y3 = mulLazy(x2 - x3 + twoQ, wi[k + 1], wis[k + 1], q);
            long y4 = csub(x4 + x5, twoQ), y5 = mulLazy(x4 - x5 + twoQ, wi[k + 2], wis[k + 2], q);
            long y6 = csub(x6 + x7, twoQ), y7 = mulLazy(x6 - x7 + twoQ, wi[k + 3], wis[k + 3], q);
            // t = 2: (y0, y2), (y1, y3) with twiddle 2b; (y4, y6), (y5, y7) with 2b + 1
            k = m2 + 2 * b;
            long wa = wi[k], sa = wis[k], wb = wi[k + 1], sb = wis[k + 1];
            long z0 = csub(y0 + y2, twoQ), z2 = mulLazy(y0 - y2 + twoQ, wa, sa, q);
            long z1 = csub(y1 + y3, twoQ), z3 = mulLazy(y1 - y3 + twoQ, wa, sa, q);
            long z4 = csub(y4 + y6, twoQ), z6 = mulLazy(y4 - y6 + twoQ, wb, sb, q);
            long z5 = csub(y5 + y7, twoQ), z7 = mulLazy(y5 - y7 + twoQ, wb, sb, q);
            // t = 4: (z0, z4), (z1, z5), (z2, z6), (z3, z7) with twiddle b
            long w0 = wi[m4 + b], s0 = wis[m4 + b];
            a[j] = csub(z0 + z4, twoQ);
            a[j + 4] = mulLazy(z0 - z4 + twoQ, w0, s0, q);
            a[j + 1] = csub(z1 + z5, twoQ);
            a[j + 5] = mulLazy(z1 - z5 + twoQ, w0, s0, q);
            a[j + 2] = csub(z2 + z6, twoQ);
            a[j + 6] = mulLazy(z2 - z6 + twoQ, w0, s0, q);
            a[j + 3] = csub(z3 + z7, twoQ);
            a[j + 7] = mulLazy(z3 - z7 + twoQ, w0, s0, q);
        }
    }

    /** The last stage (stride n/2, one twiddle) with 1/N folded in; output in [0, q). */
    private void inverseLast(long[] a, int t) {
        final long q = this.q, twoQ = 2 * q;
        final long w0 = wLastN, s0 = wLastNShoup, ni = nInv, nis = nInvShoup;
        for (int j = 0, k = t; j < t; j++, k++) {
            long u = a[j], v = a[k];
            long x = mulLazy(u + v, ni, nis, q), y = mulLazy(u - v + twoQ, w0, s0, q);
            a[j] = csub(x, q);
            a[k] = csub(y, q);
        }
    }
}
