package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.Ntt;

import java.nio.ByteBuffer;

/**
 * Relinearization and the compact switch-down of a 3-component level-0 ciphertext in one pass:
 * {@code CompactCiphertext.switchDown(evaluator.relinearize(ct, rk), ...)}, word for word, with 6 transforms of N
 * instead of 8 and no polynomial-sized allocation (per-thread scratch). Written for the 1:N gallery's answers (one per
 * block of 4,096 identities), where it runs once per block and identify.
 *
 * <p>Why it is the same: relinearization at level 0 with the special prime P is (see {@link KeySwitcher}) the key
 * products of c2 at q0 and at P (c2's centred digit lifted to P), then the mod-down
 * {@code out_k = (acc_k,q0 - [acc_k,P]_centred) P^-1 + c_k (mod q0)} in the NTT domain, after which the switch-down
 * transforms out_0 and out_1 back to coefficients. The inverse transform is linear mod q0, so the same residues come
 * from {@code INTT(c2 (k_k P^-1) + c_k) - P^-1 [INTT_P(acc_k,P)]_centred} computed in the coefficient domain: the key
 * is pre-multiplied by P^-1 mod q0 once, c_k is added before the one inverse transform, and the correction is never
 * transformed forward. With v in [0, P) and centred value v - P [v > P/2], P^-1 (v - P [v > P/2]) = P^-1 v - [v > P/2]
 * (mod q0), so no lift of v to q0 is needed either. Every step is exact arithmetic mod q0 (residues in [0, q0)), so
 * the output words equal the two-step path's (test: CompactRelinearizerTest).
 *
 * <p>Transforms per ciphertext: inverse of c2 at q0, forward at P, inverse of both key products at P, inverse of
 * both outputs at q0 (the two-step path also transforms both mod-down corrections forward at q0 and both outputs
 * back). The two inverses that only feed c0 are computed only where the kept positions depend on them
 * ({@link io.picrypt.ring.Ntt#inverseKeeping}; for the gallery's positions about a third less work each).
 * Thread-safe: the prepared key is immutable, scratch is per thread.
 */
public final class CompactRelinearizer {
    private final CkksParameters params;
    private final int n, logT0, logT1;
    private final int[] positions;
    private final int period, kept; // every position p has (p mod period) < kept: c0's transforms run only there
    private final Ntt ntt0, nttP;
    private final Modulus m0, mP;
    private final long q0, halfP;
    private final double invQ0;
    private final long pInv, pInvShoup; // P^-1 mod q0
    // key rows with Shoup companions: at q0 pre-multiplied by P^-1, at P as they are
    private final long[] kb0, kb0s, ka0, ka0s, kbP, kbPs, kaP, kaPs;

    /**
     * @param rk        a relinearization key of {@code p} (which must have a special prime)
     * @param positions coefficients of c0 kept (strictly increasing in [0, N)), as in {@link CompactCiphertext#switchDown}
     * @throws CkksException for moduli that do not fit ({@link CompactCiphertext#switchDown}'s checks), bad positions,
     *                       parameters without a special prime or a key of other parameters
     */
    public CompactRelinearizer(CkksParameters p, RelinKey rk, int[] positions, int logT0, int logT1) {
        CompactCiphertext.checkWidths(p, logT0, logT1);
        CompactCiphertext.checkPositions(positions, p.n());
        if (!p.hasSpecialPrime()) throw new CkksException("relinearization needs a special prime");
        if (!rk.params().equals(p)) throw new CkksException("relinearization key of other parameters");
        // c2's centred digit is lifted from q0 to P by adding P - q0 to negative values: needs q0 < P
        if (p.dataPrime(0) >= p.specialPrime()) throw new CkksException("the special prime must exceed q0");
        this.params = p;
        this.n = p.n();
        this.logT0 = logT0;
        this.logT1 = logT1;
        this.positions = positions.clone();
        int[] pk = keptPattern(positions, n);
        this.period = pk[0];
        this.kept = pk[1];
        int sp = p.specialIndex();
        ntt0 = p.ring().ntt(0);
        nttP = p.ring().ntt(sp);
        m0 = ntt0.modulus();
        mP = nttP.modulus();
        q0 = m0.value();
        halfP = mP.value() >>> 1;
        invQ0 = 1.0 / q0;
        pInv = m0.inverse(m0.reduce(mP.value()));
        pInvShoup = m0.shoup(pInv);
        SwitchingKey key = rk.key();
        kb0 = new long[n];
        ka0 = new long[n];
        for (int j = 0; j < n; j++) {
            kb0[j] = m0.mulShoup(key.b[0][0][j], pInv, pInvShoup);
            ka0[j] = m0.mulShoup(key.a[0][0][j], pInv, pInvShoup);
        }
        kb0s = shoups(m0, kb0);
        ka0s = shoups(m0, ka0);
        kbP = key.b[0][sp].clone();
        kaP = key.a[0][sp].clone();
        kbPs = shoups(mP, kbP);
        kaPs = shoups(mP, kaP);
    }

    /**
     * The (period, kept) of {@link io.picrypt.ring.Ntt#inverseKeeping} covering every position with the smallest share
     * kept / period (ties: the smaller period, whose pruned stages are more): for the gallery's slot positions
     * 512 (s / 128) + s % 128 that is (512, 128), a quarter. (N, N), the full transform, when nothing smaller covers them.
     */
    static int[] keptPattern(int[] positions, int n) {
        if (n < 32) return new int[]{n, n}; // Ntt.inverseKeeping needs N >= 32
        int bestPeriod = n, bestKept = n;
        for (int period = 16; period <= n; period <<= 1) {
            int max = 0;
            for (int p : positions) max = Math.max(max, p & (period - 1));
            int kept = Math.max(16, Integer.highestOneBit(max) * 2); // the smallest power of two above max, >= 16
            if (kept > period) continue;
            if ((long) kept * bestPeriod < (long) bestKept * period) {
                bestPeriod = period;
                bestKept = kept;
            }
        }
        return new int[]{bestPeriod, bestKept};
    }

    private static long[] shoups(Modulus m, long[] w) {
        long[] s = new long[w.length];
        for (int j = 0; j < w.length; j++) s[j] = m.shoup(w[j]);
        return s;
    }

    /** Bytes {@link #write} appends: {@link CompactCiphertext#bytes} for N values of c1 and the kept positions of c0. */
    public long bytes() { return CompactCiphertext.bytes(n, positions.length, logT0, logT1); }

    /** Message scale of the output for an input at {@code scale}: scale t1 / q0, as {@link CompactCiphertext#scale()}. */
    public double scaleAfter(double scale) { return scale * Math.scalb(1.0, logT1) / q0; }

    private static final ThreadLocal<long[][]> SCRATCH = new ThreadLocal<>();

    private long[][] scratch() {
        long[][] s = SCRATCH.get();
        if (s == null || s[0].length != n) {
            s = new long[4][n];
            SCRATCH.set(s);
        }
        return s;
    }

    /**
     * Appends the compact form ({@link CompactCiphertext#write}) of the relinearized {@code ct}, switched down.
     *
     * @param ct a 3-component level-0 ciphertext (NTT form, as {@link Evaluator#multiply} or {@link ProductSum} give)
     * @throws CkksException for another size or level
     * @throws java.nio.BufferOverflowException if fewer than {@link #bytes()} bytes remain in {@code out}
     */
    public void write(Ciphertext ct, ByteBuffer out) {
        long[][] s = relinearize(ct);
        long[] y0 = s[0], y1 = s[1], v0 = s[2], v1 = s[3];
        // out_k = y_k - P^-1 [v_k]_centred (mod q0), rounded to t1 (all of c1) and t0 (kept positions of c0)
        CompactCiphertext.BitWriter w = new CompactCiphertext.BitWriter(out);
        int mask1 = (1 << logT1) - 1, mask0 = (1 << logT0) - 1;
        for (int j = 0; j < n; j++) w.put((int) (roundScaled(modDown(y1[j], v1[j]), logT1) & mask1), logT1);
        for (int pos : positions) w.put((int) (roundScaled(modDown(y0[pos], v0[pos]), logT0) & mask0), logT0);
        w.flush();
    }

    /**
     * The relinearized ciphertext in coefficient form at q0, as {@link #write} computes it before rounding: {out_0, out_1}
     * (fresh arrays, residues in [0, q0); out_0 only at the kept positions, the rest undefined). For tests: the words
     * equal the inverse transforms of {@link Evaluator#relinearize}'s components.
     */
    long[][] coefficients(Ciphertext ct) {
        long[][] s = relinearize(ct);
        long[][] out = new long[2][n];
        for (int k = 0; k < 2; k++) for (int j = 0; j < n; j++) out[k][j] = modDown(s[k][j], s[2 + k][j]);
        return out;
    }

    /**
     * The thread's scratch {y_0, y_1, v_0, v_1}, all in coefficient form: y_k = INTT_q0(c2 k_k,q0 P^-1 + c_k) and
     * v_k = INTT_P(acc_k,P), so that out_k = y_k - P^-1 [v_k]_centred (mod q0) ({@link #modDown}).
     */
    private long[][] relinearize(Ciphertext ct) {
        if (ct.size() != 3 || ct.level() != 0) throw new CkksException("only 3-component level-0 ciphertexts are relinearized and switched down");
        if (ct.comps[0][0].length != n) throw new CkksException("ciphertext of another ring degree");
        long[] c0 = ct.comps[0][0], c1 = ct.comps[1][0], c2 = ct.comps[2][0];
        long[][] s = scratch();
        long[] y0 = s[0], y1 = s[1], v0 = s[2], v1 = s[3];
        // c2's digit: centred in coefficients, lifted to P (q0 < P: add P - q0 to the negative ones), transformed there
        long[] u = v1;
        System.arraycopy(c2, 0, u, 0, n);
        ntt0.inverse(u);
        long half0 = q0 >>> 1, liftNeg = mP.value() - q0;
        for (int j = 0; j < n; j++) {
            long v = u[j];
            u[j] = v + (liftNeg & ((half0 - v) >> 63));
        }
        nttP.forward(u);
        // key products at P, and at q0 with P^-1 folded into the key and c_k added
        Modulus mp = mP, m = m0;
        long q = q0;
        for (int j = 0; j < n; j++) {
            long x = u[j];
            v0[j] = mp.mulShoup(x, kbP[j], kbPs[j]);
            v1[j] = mp.mulShoup(x, kaP[j], kaPs[j]); // u is v1: x was read first
            long z = c2[j];
            long r0 = m.mulShoup(z, kb0[j], kb0s[j]) + c0[j];
            long r1 = m.mulShoup(z, ka0[j], ka0s[j]) + c1[j];
            y0[j] = r0 >= q ? r0 - q : r0;
            y1[j] = r1 >= q ? r1 - q : r1;
        }
        // c0 is read at the kept positions only: its two transforms skip what no position depends on
        inverseAtPositions(nttP, v0);
        nttP.inverse(v1);
        inverseAtPositions(ntt0, y0);
        ntt0.inverse(y1);
        return s;
    }

    /** The inverse transform, correct at least at every kept position. */
    private void inverseAtPositions(Ntt ntt, long[] a) {
        if (kept == period) ntt.inverse(a);
        else ntt.inverseKeeping(a, period, kept);
    }

    /** (y - P^-1 [v]_centred) mod q0 for y in [0, q0), v in [0, P): P^-1 (v - P [v > P/2]) = P^-1 v - [v > P/2]. */
    private long modDown(long y, long v) {
        long q = q0;
        long r = y - m0.mulShoup(v, pInv, pInvShoup) + ((halfP - v) >>> 63);
        r += q & (r >> 63);
        return r >= q ? r - q : r;
    }

    private long roundScaled(long c, int k) {
        return CompactCiphertext.roundScaled(c, k, q0, invQ0);
    }

    /**
     * {@link CompactRelinearizer#write} read back as a {@link CompactCiphertext} (for tests and callers that want the
     * object rather than the bytes); the scale is the input's times t1 / q0.
     */
    public CompactCiphertext apply(Ciphertext ct) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(bytes()));
        write(ct, b);
        return CompactCiphertext.read(b.flip(), params, positions.length, logT0, logT1, scaleAfter(ct.scale));
    }
}
