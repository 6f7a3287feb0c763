package io.picrypt.ring;

/**
 * Negacyclic number-theoretic transform over Z_q[X]/(X^N + 1) for one prime: Cooley-Tukey forward,
 * Gentleman-Sande inverse, Shoup-precomputed twiddles (w' = floor(w 2^63 / q), see {@link #mulLazy2}) and Harvey's
 * lazy butterflies (values kept in [0, 4q) between stages, one correction at the end). The NTT domain is in
 * bit-reversed order (index k holds a(psi^(2 brev(k) + 1)), which automorphisms rely on); only pointwise operations
 * happen there.
 *
 * <p>Doubled representation (issue 16 round 3): inside a transform every value x is held as 2x (below 8q < 2^63,
 * since q < 2^60) and reduced modulo 2q, 4q instead of q, 2q. The first pass doubles its input, the last one halves
 * its output. This makes the Shoup quotient estimate a plain {@code multiplyHigh(y, w')} of the stored value: with
 * values held undoubled it needs {@code multiplyHigh(y << 1, w')}, one shift and one register copy more per
 * butterfly, on the multiply's dependency chain (measured: 7-10% of either transform). The doubled values are exactly
 * twice the undoubled ones, so the results are bit for bit those of the plain lazy transform.
 *
 * <p>Loop structure (measured, issue 16): forward, the long-stride stages go two at a time (radix-4 data flow) in
 * their own small methods; the three shortest-stride stages (t = 4, 2, 1) are one straight-line radix-8 block per 8
 * coefficients. Inverse, the mirror radix-8 block (t = 1, 2, 4) first, then one radix-2 stage per pass: there the
 * radix-4 pair loop was slower than two single stages (it kept six twiddle values live, C2 spilled them and compiled
 * two of its four conditional subtractions as branches that mispredicted about half the time). The conditional
 * subtractions are branch-free ({@link #csub}) wherever C2 was seen to emit branches for the compare form.
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
            ws[i] = mod.shoup63(w[i]);
            wis[i] = mod.shoup63(wi[i]);
        }
        nInv = mod.inverse(n);
        nInvShoup = mod.shoup63(nInv);
        wLastN = mod.mul(wi[1], nInv);
        wLastNShoup = mod.shoup63(wLastN);
    }

    public int n() { return n; }

    public Modulus modulus() { return mod; }

    /** The primitive 2N-th root of unity used (psi^N = -1). */
    public long psi() { return psi; }

    /**
     * Lazy Shoup product in the doubled representation the transforms work in (see the class comment): for
     * 0 <= y < 2^63 standing for y / 2, returns y w - floor(y ws / 2^64) 2q in [0, 4q), standing for (y / 2) w mod q in
     * [0, 2q). With ws = floor(w 2^63 / q): y ws / 2^64 = y w / 2q - y f / 2^64 for some f in [0, 1), which is above
     * y w / 2q - 1/2, so the estimate is floor(y w / 2q) or one less. Both operands of the signed high product are
     * non-negative (y < 2^63, ws < 2^63), so no unsigned fix-up is needed; the result is below 2^62, so the wrapping
     * 64-bit products give it exactly. For y = 2x this is exactly twice x w - floor(x ws / 2^63) q, the usual lazy
     * Shoup product, so the doubled transform computes bit for bit twice what an undoubled one would.
     */
    private static long mulLazy2(long y, long w, long ws, long q2) {
        return Modulus.mulShoupLazy(y, w, ws, q2);
    }

    /** x - m when x >= m, else x; branch-free. */
    private static long csub(long x, long m) {
        long y = x - m;
        return y + (m & (y >> 63));
    }

    /** In-place forward transform; input in [0, q) (any values below 4q work), output in [0, q), bit-reversed order. */
    public void forward(long[] a) {
        int m, t;
        if (n == 8) { // the radix-8 block alone
            for (int i = 0; i < 8; i++) a[i] <<= 1;
            forwardLast3(a);
            return;
        }
        if ((logN & 1) == 0) { // an even number of stages before the radix-8 block's three: one single stage first
            forwardFirstStage(a);
            m = 2;
            t = n >> 2;
        } else {
            forwardFirstPair(a);
            m = 4;
            t = n >> 3;
        }
        for (; t >= 16; m <<= 2, t >>= 2) forwardPair(a, m, t);
        forwardLast3(a);
    }

    /** The first stage (t = n/2, one twiddle), doubling its input; output (doubled) in [0, 8q). */
    private void forwardFirstStage(long[] a) {
        final long q2 = 2 * this.q, q4 = 2 * q2, w1 = w[1], s1 = ws[1];
        final int t = n >> 1;
        for (int j = 0; j < t; j++) {
            long x = csub(a[j] << 1, q4);
            long v = mulLazy2(a[j + t] << 1, w1, s1, q2);
            a[j] = x + v;
            a[j + t] = x - v + q4;
        }
    }

    /** The first two stages (t = n/2 and n/4) in one pass, doubling the input; output (doubled) in [0, 8q). */
    private void forwardFirstPair(long[] a) {
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final int t = n >> 1, t2 = n >> 2;
        final long w0 = w[1], s0 = ws[1], wa = w[2], sa = ws[2], wb = w[3], sb = ws[3];
        for (int j = 0; j < t2; j++) {
            long x0 = csub(a[j] << 1, q4), x1 = csub(a[j + t2] << 1, q4);
            long v2 = mulLazy2(a[j + t] << 1, w0, s0, q2), v3 = mulLazy2(a[j + t + t2] << 1, w0, s0, q2);
            long y0 = csub(x0 + v2, q4), y2 = csub(x0 - v2 + q4, q4), y1 = x1 + v3, y3 = x1 - v3 + q4;
            long u1 = mulLazy2(y1, wa, sa, q2), u3 = mulLazy2(y3, wb, sb, q2);
            a[j] = y0 + u1;
            a[j + t2] = y0 - u1 + q4;
            a[j + t] = y2 + u3;
            a[j + t + t2] = y2 - u3 + q4;
        }
    }

    /** Stages (m, t) and (2m, t/2) in one pass; values (doubled) in [0, 8q). */
    private void forwardPair(long[] a, int m, int t) {
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final int t2 = t >> 1;
        for (int i = 0; i < m; i++) {
            final int j1 = 2 * i * t, ia = 2 * m + 2 * i;
            final long w0 = w[m + i], s0 = ws[m + i];
            final long wa = w[ia], sa = ws[ia], wb = w[ia + 1], sb = ws[ia + 1];
            for (int j = j1, e = j1 + t2; j < e; j++) {
                long x0 = a[j], x1 = a[j + t2], x2 = a[j + t], x3 = a[j + t + t2];
                // (these compares: C2 emits conditional moves here, measured faster than the branch-free form)
                if (x0 >= q4) x0 -= q4;
                if (x1 >= q4) x1 -= q4;
                long v2 = mulLazy2(x2, w0, s0, q2), v3 = mulLazy2(x3, w0, s0, q2);
                long y0 = x0 + v2, y2 = x0 - v2 + q4, y1 = x1 + v3, y3 = x1 - v3 + q4;
                if (y0 >= q4) y0 -= q4;
                if (y2 >= q4) y2 -= q4;
                long u1 = mulLazy2(y1, wa, sa, q2), u3 = mulLazy2(y3, wb, sb, q2);
                a[j] = y0 + u1;
                a[j + t2] = y0 - u1 + q4;
                a[j + t] = y2 + u3;
                a[j + t + t2] = y2 - u3 + q4;
            }
        }
    }

    /** Stages t = 4, 2, 1 as one radix-8 block per 8 coefficients, with the final reduction to [0, q) and halving. */
    private void forwardLast3(long[] a) {
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final int m4 = n >> 3, m2 = n >> 2, m1 = n >> 1;
        for (int b = 0; b < m4; b++) {
            final int j = 8 * b;
            long x0 = csub(a[j], q4), x1 = csub(a[j + 1], q4), x2 = csub(a[j + 2], q4), x3 = csub(a[j + 3], q4);
            long w0 = w[m4 + b], s0 = ws[m4 + b];
            long v4 = mulLazy2(a[j + 4], w0, s0, q2), v5 = mulLazy2(a[j + 5], w0, s0, q2);
            long v6 = mulLazy2(a[j + 6], w0, s0, q2), v7 = mulLazy2(a[j + 7], w0, s0, q2);
            long y0 = csub(x0 + v4, q4), y4 = csub(x0 - v4 + q4, q4), y1 = csub(x1 + v5, q4);
            long y5 = csub(x1 - v5 + q4, q4);
            long y2 = x2 + v6, y6 = x2 - v6 + q4, y3 = x3 + v7, y7 = x3 - v7 + q4;
            // t = 2: (y0, y2), (y1, y3) with twiddle 2b; (y4, y6), (y5, y7) with 2b + 1
            int k = m2 + 2 * b;
            long wa = w[k], sa = ws[k], wb = w[k + 1], sb = ws[k + 1];
            long u2 = mulLazy2(y2, wa, sa, q2), u3 = mulLazy2(y3, wa, sa, q2);
            long u6 = mulLazy2(y6, wb, sb, q2), u7 = mulLazy2(y7, wb, sb, q2);
            long z0 = csub(y0 + u2, q4), z2 = csub(y0 - u2 + q4, q4);
            long z1 = y1 + u3, z3 = y1 - u3 + q4;
            long z4 = csub(y4 + u6, q4), z6 = csub(y4 - u6 + q4, q4);
            long z5 = y5 + u7, z7 = y5 - u7 + q4;
            // t = 1: (z0, z1), (z2, z3), (z4, z5), (z6, z7) with twiddles 4b .. 4b + 3
            k = m1 + 4 * b;
            long r1 = mulLazy2(z1, w[k], ws[k], q2), r3 = mulLazy2(z3, w[k + 1], ws[k + 1], q2);
            long r5 = mulLazy2(z5, w[k + 2], ws[k + 2], q2), r7 = mulLazy2(z7, w[k + 3], ws[k + 3], q2);
            a[j] = csub(csub(z0 + r1, q4), q2) >>> 1;
            a[j + 1] = csub(csub(z0 - r1 + q4, q4), q2) >>> 1;
            a[j + 2] = csub(csub(z2 + r3, q4), q2) >>> 1;
            a[j + 3] = csub(csub(z2 - r3 + q4, q4), q2) >>> 1;
            a[j + 4] = csub(csub(z4 + r5, q4), q2) >>> 1;
            a[j + 5] = csub(csub(z4 - r5 + q4, q4), q2) >>> 1;
            a[j + 6] = csub(csub(z6 + r7, q4), q2) >>> 1;
            a[j + 7] = csub(csub(z6 - r7 + q4, q4), q2) >>> 1;
        }
    }

    /** In-place inverse transform; input in [0, q) bit-reversed (any values below 2q work), output in [0, q) natural order. */
    public void inverse(long[] a) {
        int t = 4;
        if (n == 8) inverseFirst2(a); // too short for the radix-8 block plus a scaled last stage
        else {
            inverseFirst3(a);
            t = 8;
            if (n > 16) {
                inverseStride8(a);
                t = 16;
            }
            for (; t < n >> 1; t <<= 1) inverseStage(a, t);
        }
        inverseLast(a, t);
    }

    /** Stages t = 1 and 2 as one radix-4 block per 4 coefficients, doubling the input; output (doubled) in [0, 4q). */
    private void inverseFirst2(long[] a) {
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final int m1 = n >> 1, m2 = n >> 2;
        for (int i = 0; i < m2; i++) {
            final int j = 4 * i, k = m1 + 2 * i;
            long x0 = a[j] << 1, x1 = a[j + 1] << 1, x2 = a[j + 2] << 1, x3 = a[j + 3] << 1;
            long y0 = csub(x0 + x1, q4), y1 = mulLazy2(x0 - x1 + q4, wi[k], wis[k], q2);
            long y2 = csub(x2 + x3, q4), y3 = mulLazy2(x2 - x3 + q4, wi[k + 1], wis[k + 1], q2);
            final long w0 = wi[m2 + i], s0 = wis[m2 + i];
            a[j] = csub(y0 + y2, q4);
            a[j + 1] = csub(y1 + y3, q4);
            a[j + 2] = mulLazy2(y0 - y2 + q4, w0, s0, q2);
            a[j + 3] = mulLazy2(y1 - y3 + q4, w0, s0, q2);
        }
    }

    /** Stages t = 1, 2, 4 as one radix-8 block per 8 coefficients, doubling the input; output (doubled) in [0, 4q). */
    private void inverseFirst3(long[] a) {
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final int m1 = n >> 1, m2 = n >> 2, m4 = n >> 3;
        for (int b = 0; b < m4; b++) {
            final int j = 8 * b;
            long x0 = a[j] << 1, x1 = a[j + 1] << 1, x2 = a[j + 2] << 1, x3 = a[j + 3] << 1;
            long x4 = a[j + 4] << 1, x5 = a[j + 5] << 1, x6 = a[j + 6] << 1, x7 = a[j + 7] << 1;
            // t = 1: (x0, x1), (x2, x3), (x4, x5), (x6, x7) with twiddles 4b .. 4b + 3
            int k = m1 + 4 * b;
            long y0 = csub(x0 + x1, q4), y1 = mulLazy2(x0 - x1 + q4, wi[k], wis[k], q2);
            long y2 = csub(x2 + x3, q4), y3 = mulLazy2(x2 - x3 + q4, wi[k + 1], wis[k + 1], q2);
            long y4 = csub(x4 + x5, q4), y5 = mulLazy2(x4 - x5 + q4, wi[k + 2], wis[k + 2], q2);
            long y6 = csub(x6 + x7, q4), y7 = mulLazy2(x6 - x7 + q4, wi[k + 3], wis[k + 3], q2);
            // t = 2: (y0, y2), (y1, y3) with twiddle 2b; (y4, y6), (y5, y7) with 2b + 1
            k = m2 + 2 * b;
            long wa = wi[k], sa = wis[k], wb = wi[k + 1], sb = wis[k + 1];
            long z0 = csub(y0 + y2, q4), z2 = mulLazy2(y0 - y2 + q4, wa, sa, q2);
            long z1 = csub(y1 + y3, q4), z3 = mulLazy2(y1 - y3 + q4, wa, sa, q2);
            long z4 = csub(y4 + y6, q4), z6 = mulLazy2(y4 - y6 + q4, wb, sb, q2);
            long z5 = csub(y5 + y7, q4), z7 = mulLazy2(y5 - y7 + q4, wb, sb, q2);
            // t = 4: (z0, z4), (z1, z5), (z2, z6), (z3, z7) with twiddle b
            long w0 = wi[m4 + b], s0 = wis[m4 + b];
            a[j] = csub(z0 + z4, q4);
            a[j + 4] = mulLazy2(z0 - z4 + q4, w0, s0, q2);
            a[j + 1] = csub(z1 + z5, q4);
            a[j + 5] = mulLazy2(z1 - z5 + q4, w0, s0, q2);
            a[j + 2] = csub(z2 + z6, q4);
            a[j + 6] = mulLazy2(z2 - z6 + q4, w0, s0, q2);
            a[j + 3] = csub(z3 + z7, q4);
            a[j + 7] = mulLazy2(z3 - z7 + q4, w0, s0, q2);
        }
    }

    /**
     * The stage t = 8 with a constant inner trip count (measured ~2% of the inverse faster than the generic loop,
     * whose split into pre-, main and post-loop costs more than it saves on eight iterations); values (doubled) in
     * [0, 4q).
     */
    private void inverseStride8(long[] a) {
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final int h = n >> 4;
        for (int i = 0; i < h; i++) {
            final int j1 = 16 * i;
            final long w0 = wi[h + i], s0 = wis[h + i];
            for (int c = 0; c < 8; c++) {
                final int j = j1 + c;
                long u = a[j], v = a[j + 8], s = u + v;
                if (s >= q4) s -= q4;
                a[j] = s;
                a[j + 8] = mulLazy2(u - v + q4, w0, s0, q2);
            }
        }
    }

    /** One stage with stride t (n / 2t groups); values (doubled) in [0, 4q). */
    private void inverseStage(long[] a, int t) {
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final int h = n / (2 * t);
        for (int i = 0; i < h; i++) {
            final int j1 = 2 * t * i;
            final long w0 = wi[h + i], s0 = wis[h + i];
            for (int j = j1, e = j1 + t; j < e; j++) {
                long u = a[j], v = a[j + t], s = u + v;
                // (the compare form: C2 emits a conditional move here, measured 3% faster than csub's four operations)
                if (s >= q4) s -= q4;
                a[j] = s;
                a[j + t] = mulLazy2(u - v + q4, w0, s0, q2);
            }
        }
    }

    /** The last stage (stride n/2, one twiddle) with 1/N folded in, halving; output in [0, q). */
    private void inverseLast(long[] a, int t) {
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final long w0 = wLastN, s0 = wLastNShoup, ni = nInv, nis = nInvShoup;
        for (int j = 0, k = t; j < t; j++, k++) {
            long u = a[j], v = a[k];
            a[j] = csub(mulLazy2(u + v, ni, nis, q2), q2) >>> 1;
            a[k] = csub(mulLazy2(u - v + q4, w0, s0, q2), q2) >>> 1;
        }
    }

    /**
     * The inverse transform computed only where it is read: on return a[j] is what {@link #inverse} gives for every j
     * with (j mod period) < kept; the other entries are left with intermediate values (undefined). Inverse stages pair
     * j with j + t: for t >= period both partners of a kept index are kept, so only those butterflies run; for
     * kept <= t < period only the sums (no twiddle product) of the kept indices mod 2t are needed; below kept every
     * butterfly is. For period 512, kept 128 (the 1:N gallery's distance positions) that is ~35% less work.
     *
     * @param period a power of two, kept <= period <= N
     * @param kept   a power of two >= 16
     * @throws IllegalArgumentException for other values, or N < 32
     */
    public void inverseKeeping(long[] a, int period, int kept) {
        if (Integer.bitCount(period) != 1 || Integer.bitCount(kept) != 1 || kept < 16 || kept > period || period > n || n < 32) {
            throw new IllegalArgumentException("kept " + kept + " of period " + period + " for N = " + n);
        }
        if (kept == period) {
            inverse(a);
            return;
        }
        inverseFirst3(a);
        inverseStride8(a);
        final int half = n >> 1;
        int t = 16;
        for (; t < half; t <<= 1) {
            if (t < kept) inverseStage(a, t);
            else if (t < period) inverseSums(a, t, kept);
            else inverseStageKeeping(a, t, period, kept);
        }
        // the last stage (t = N/2) with 1/N folded in, halving
        if (half < kept) {
            inverseLast(a, half);
            return;
        }
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final long w0 = wLastN, s0 = wLastNShoup, ni = nInv, nis = nInvShoup;
        if (half < period) { // period = N: only the sums of j < kept
            for (int j = 0; j < kept; j++) a[j] = csub(mulLazy2(a[j] + a[j + half], ni, nis, q2), q2) >>> 1;
            return;
        }
        for (int o = 0; o < half; o += period) {
            for (int j = o, e = o + kept; j < e; j++) {
                long u = a[j], v = a[j + half];
                a[j] = csub(mulLazy2(u + v, ni, nis, q2), q2) >>> 1;
                a[j + half] = csub(mulLazy2(u - v + q4, w0, s0, q2), q2) >>> 1;
            }
        }
    }

    /** Stage t, sum outputs only, at the j with (j mod 2t) < kept (kept <= t); values (doubled) in [0, 4q). */
    private void inverseSums(long[] a, int t, int kept) {
        final long q4 = 4 * this.q;
        for (int base = 0; base < n; base += 2 * t) {
            for (int j = base, e = base + kept; j < e; j++) {
                long s = a[j] + a[j + t];
                if (s >= q4) s -= q4;
                a[j] = s;
            }
        }
    }

    /** Stage t >= period, butterflies only at the j with (j mod period) < kept; values (doubled) in [0, 4q). */
    private void inverseStageKeeping(long[] a, int t, int period, int kept) {
        final long q2 = 2 * this.q, q4 = 2 * q2;
        final int h = n / (2 * t);
        for (int i = 0; i < h; i++) {
            final int j1 = 2 * t * i;
            final long w0 = wi[h + i], s0 = wis[h + i];
            for (int o = j1, oe = j1 + t; o < oe; o += period) {
                for (int j = o, e = o + kept; j < e; j++) {
                    long u = a[j], v = a[j + t], s = u + v;
                    if (s >= q4) s -= q4;
                    a[j] = s;
                    a[j + t] = mulLazy2(u - v + q4, w0, s0, q2);
                }
            }
        }
    }
}
