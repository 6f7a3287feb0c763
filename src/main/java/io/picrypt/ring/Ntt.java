package io.picrypt.ring;

/**
 * Negacyclic number-theoretic transform over Z_q[X]/(X^N + 1) for one prime: Cooley-Tukey forward,
 * Gentleman-Sande inverse, Shoup-precomputed twiddles and Harvey's lazy butterflies (values kept in
 * [0, 4q) between stages, so q < 2^61). Two stages per pass (radix-4 data flow) and twiddles folded to
 * min(w, q - w), whose Shoup companions fit in 63 bits. The NTT domain is in bit-reversed order (index k holds
 * a(psi^(2 brev(k) + 1)), which automorphisms rely on); only pointwise operations happen there.
 */
public final class Ntt {
    private final int n;
    private final int logN;
    private final Modulus mod;
    private final long q;
    private final long[] psiRev, psiRevShoup;       // psi^bitrev(i)
    private final long[] psiInvRev, psiInvRevShoup; // psi^-bitrev(i)
    private final long nInv, nInvShoup;
    private final long wLastN, wLastNShoup; // psi^-bitrev(1) / N: the inverse's last twiddle with 1/N folded in
    // min(w, q - w) of every twiddle and its Shoup companion (< 2^63, so the high product needs no unsigned fix-up);
    // the companion's sign bit is set when the twiddle was folded (q - w), i.e. the product must be negated
    private final long[] halfW, halfWShoup, halfWInv, halfWInvShoup;
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
        psiRev = new long[n];
        psiInvRev = new long[n];
        psiRevShoup = new long[n];
        psiInvRevShoup = new long[n];
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
            psiRev[i] = pow[r];
            psiInvRev[i] = powInv[r];
            psiRevShoup[i] = mod.shoup(psiRev[i]);
            psiInvRevShoup[i] = mod.shoup(psiInvRev[i]);
        }
        nInv = mod.inverse(n);
        nInvShoup = mod.shoup(nInv);
        halfW = new long[n];
        halfWShoup = new long[n];
        halfWInv = new long[n];
        halfWInvShoup = new long[n];
        for (int i = 0; i < n; i++) {
            halfW[i] = Math.min(psiRev[i], q - psiRev[i]);
            halfWShoup[i] = mod.shoup(halfW[i]) | (halfW[i] != psiRev[i] ? Long.MIN_VALUE : 0);
            halfWInv[i] = Math.min(psiInvRev[i], q - psiInvRev[i]);
            halfWInvShoup[i] = mod.shoup(halfWInv[i]) | (halfWInv[i] != psiInvRev[i] ? Long.MIN_VALUE : 0);
        }
        wLastN = mod.mul(psiInvRev[1], nInv);
        wLastNShoup = mod.shoup(wLastN);
    }

    public int n() { return n; }

    public Modulus modulus() { return mod; }

    /** The primitive 2N-th root of unity used (psi^N = -1). */
    public long psi() { return psi; }

    /** x * w mod q in [0, 2q) for 0 <= x < 2^63 (all callers: x < 4q < 2^63), so x needs no unsigned correction. */
    private static long mulShoupLazy(long x, long w, long wShoup, long q) {
        return x * w - (Math.multiplyHigh(x, wShoup) + ((wShoup >> 63) & x)) * q;
    }

    /** In-place forward transform; input in [0, q), output in [0, q), bit-reversed order. */
    public void forward(long[] a) {
        final long twoQ = 2 * q;
        int m = 1, t = n >> 1;
        // two stages per pass (radix-4 data flow) with twiddles folded to min(w, q - w); a folded twiddle negates
        // the product, which the butterfly absorbs by swapping its outputs (loop-invariant flags)
        for (; 4 * m <= n >> 1; m <<= 2, t >>= 2) {
            final int t2 = t >> 1;
            for (int i = 0; i < m; i++) {
                final int j1 = 2 * i * t;
                final int ia = 2 * m + 2 * i, ib = ia + 1;
                final long w = halfW[m + i], wsf = halfWShoup[m + i], ws = wsf & Long.MAX_VALUE;
                final long wa = halfW[ia], wsaf = halfWShoup[ia], wsa = wsaf & Long.MAX_VALUE;
                final long wb = halfW[ib], wsbf = halfWShoup[ib], wsb = wsbf & Long.MAX_VALUE;
                final boolean f = wsf < 0, fa = wsaf < 0, fb = wsbf < 0;
                for (int j = j1; j < j1 + t2; j++) {
                    long x0 = a[j], x1 = a[j + t2], x2 = a[j + t], x3 = a[j + t + t2];
                    if (x0 >= twoQ) x0 -= twoQ;
                    if (x1 >= twoQ) x1 -= twoQ;
                    long v2 = x2 * w - Math.multiplyHigh(x2, ws) * q;
                    long v3 = x3 * w - Math.multiplyHigh(x3, ws) * q;
                    long s0 = x0 + v2, d0 = x0 - v2 + twoQ, s1 = x1 + v3, d1 = x1 - v3 + twoQ;
                    long y0 = f ? d0 : s0, y2 = f ? s0 : d0, y1 = f ? d1 : s1, y3 = f ? s1 : d1;
                    if (y0 >= twoQ) y0 -= twoQ;
                    if (y2 >= twoQ) y2 -= twoQ;
                    long u1 = y1 * wa - Math.multiplyHigh(y1, wsa) * q;
                    long u3 = y3 * wb - Math.multiplyHigh(y3, wsb) * q;
                    long sa = y0 + u1, da = y0 - u1 + twoQ, sb = y2 + u3, db = y2 - u3 + twoQ;
                    a[j] = fa ? da : sa;
                    a[j + t2] = fa ? sa : da;
                    a[j + t] = fb ? db : sb;
                    a[j + t + t2] = fb ? sb : db;
                }
            }
        }
        for (; m < n >> 1; m <<= 1, t >>= 1) { // one leftover stage when their number is odd
            for (int i = 0; i < m; i++) {
                final int j1 = 2 * i * t;
                final long w = psiRev[m + i], ws = psiRevShoup[m + i];
                for (int j = j1; j < j1 + t; j++) {
                    long u = a[j];
                    if (u >= twoQ) u -= twoQ;
                    long v = mulShoupLazy(a[j + t], w, ws, q);
                    a[j] = u + v;
                    a[j + t] = u - v + twoQ;
                }
            }
        }
        // last stage (t = 1) fused with the final reduction from [0, 4q) to [0, q)
        final int h = n >> 1;
        for (int i = 0; i < h; i++) {
            final int j = 2 * i;
            long u = a[j];
            if (u >= twoQ) u -= twoQ;
            long v = mulShoupLazy(a[j + 1], psiRev[h + i], psiRevShoup[h + i], q);
            long x = u + v, y = u - v + twoQ;
            if (x >= twoQ) x -= twoQ;
            if (x >= q) x -= q;
            if (y >= twoQ) y -= twoQ;
            if (y >= q) y -= q;
            a[j] = x;
            a[j + 1] = y;
        }
    }

    /** In-place inverse transform; input in [0, q) bit-reversed, output in [0, q) natural order. */
    public void inverse(long[] a) {
        final long twoQ = 2 * q;
        // first stage (t = 1): one butterfly per twiddle
        final int h0 = n >> 1;
        for (int i = 0; i < h0; i++) {
            final int j = 2 * i;
            long u = a[j], v = a[j + 1];
            long s = u + v;
            if (s >= twoQ) s -= twoQ;
            a[j] = s;
            a[j + 1] = mulShoupLazy(u - v + twoQ, psiInvRev[h0 + i], psiInvRevShoup[h0 + i], q);
        }
        int t = 2, m = h0;
        // two stages per pass while at least two remain before the last; twiddles folded as in forward (a folded
        // twiddle multiplies v - u instead of u - v); values stay in [0, 2q)
        for (; m >= 8; m >>= 2, t <<= 2) {
            final int h = m >> 1, hh = m >> 2;
            for (int k = 0; k < hh; k++) {
                final int j1 = 4 * t * k;
                final int ia = h + 2 * k, ib = ia + 1, ic = hh + k;
                final long wa = halfWInv[ia], wsaf = halfWInvShoup[ia], wsa = wsaf & Long.MAX_VALUE;
                final long wb = halfWInv[ib], wsbf = halfWInvShoup[ib], wsb = wsbf & Long.MAX_VALUE;
                final long w = halfWInv[ic], wsf = halfWInvShoup[ic], ws = wsf & Long.MAX_VALUE;
                final boolean fa = wsaf < 0, fb = wsbf < 0, f = wsf < 0;
                for (int j = j1; j < j1 + t; j++) {
                    long x0 = a[j], x1 = a[j + t], x2 = a[j + 2 * t], x3 = a[j + 3 * t];
                    long y0 = x0 + x1;
                    if (y0 >= twoQ) y0 -= twoQ;
                    long d01 = fa ? x1 - x0 + twoQ : x0 - x1 + twoQ;
                    long y1 = d01 * wa - Math.multiplyHigh(d01, wsa) * q;
                    long y2 = x2 + x3;
                    if (y2 >= twoQ) y2 -= twoQ;
                    long d23 = fb ? x3 - x2 + twoQ : x2 - x3 + twoQ;
                    long y3 = d23 * wb - Math.multiplyHigh(d23, wsb) * q;
                    long z0 = y0 + y2;
                    if (z0 >= twoQ) z0 -= twoQ;
                    long z1 = y1 + y3;
                    if (z1 >= twoQ) z1 -= twoQ;
                    long e02 = f ? y2 - y0 + twoQ : y0 - y2 + twoQ;
                    long e13 = f ? y3 - y1 + twoQ : y1 - y3 + twoQ;
                    a[j] = z0;
                    a[j + t] = z1;
                    a[j + 2 * t] = e02 * w - Math.multiplyHigh(e02, ws) * q;
                    a[j + 3 * t] = e13 * w - Math.multiplyHigh(e13, ws) * q;
                }
            }
        }
        for (; m > 2; m >>= 1, t <<= 1) { // a leftover single stage
            int j1 = 0;
            final int h = m >> 1;
            for (int i = 0; i < h; i++) {
                final int j2 = j1 + t;
                final long w = halfWInv[h + i], wsf = halfWInvShoup[h + i], ws = wsf & Long.MAX_VALUE;
                if (wsf >= 0) {
                    for (int j = j1; j < j2; j++) {
                        long u = a[j], v = a[j + t];
                        long s = u + v;
                        if (s >= twoQ) s -= twoQ;
                        a[j] = s;
                        long x = u - v + twoQ;
                        a[j + t] = x * w - Math.multiplyHigh(x, ws) * q;
                    }
                } else { // w = q - psi^-k: (u - v) psi^-k = (v - u) w
                    for (int j = j1; j < j2; j++) {
                        long u = a[j], v = a[j + t];
                        long s = u + v;
                        if (s >= twoQ) s -= twoQ;
                        a[j] = s;
                        long x = v - u + twoQ;
                        a[j + t] = x * w - Math.multiplyHigh(x, ws) * q;
                    }
                }
                j1 += 2 * t;
            }
        }
        // last stage (one twiddle) fused with the multiplication by 1/N
        final long w = wLastN, ws = wLastNShoup;
        for (int j = 0, k = t; j < t; j++, k++) {
            long u = a[j], v = a[k];
            long x = mulShoupLazy(u + v, nInv, nInvShoup, q);
            long y = mulShoupLazy(u - v + twoQ, w, ws, q);
            a[j] = x >= q ? x - q : x;
            a[k] = y >= q ? y - q : y;
        }
    }
}
