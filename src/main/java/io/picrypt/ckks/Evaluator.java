package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.Parallel;
import io.picrypt.ring.RingContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Homomorphic operations. Inputs are never modified. Levels and scales are checked: mixing levels or
 * scales that differ by more than a relative 1e-9 is an error (mod-switch or rescale first).
 */
public final class Evaluator {
    private final CkksParameters params;
    private final RingContext ring;

    // [k][i]: -q_k mod q_i, q_k^-1 mod q_i and its Shoup companion, for dividing by prime k (rescale, mod-down)
    private final long[][] negPrimeMod, invPrimeMod, invPrimeModShoup;

    public Evaluator(CkksParameters params) {
        this.params = params;
        this.ring = params.ring();
        int k = ring.size();
        negPrimeMod = new long[k][k];
        invPrimeMod = new long[k][k];
        invPrimeModShoup = new long[k][k];
        for (int last = 0; last < k; last++) {
            for (int i = 0; i < k; i++) {
                if (i == last) continue;
                Modulus m = ring.modulus(i);
                long r = m.reduce(ring.modulus(last).value());
                negPrimeMod[last][i] = m.value() - r;
                invPrimeMod[last][i] = m.inverse(r);
                invPrimeModShoup[last][i] = m.shoup(invPrimeMod[last][i]);
            }
        }
    }

    public CkksParameters params() { return params; }

    // ------------------------------------------------------------------ linear operations

    public Ciphertext add(Ciphertext a, Ciphertext b) {
        return addSub(a, b, false);
    }

    public Ciphertext sub(Ciphertext a, Ciphertext b) {
        return addSub(a, b, true);
    }

    private Ciphertext addSub(Ciphertext a, Ciphertext b, boolean subtract) {
        checkSameLevel(a.level(), b.level());
        checkSameScale(a.scale, b.scale);
        int limbs = a.level() + 1;
        int size = Math.max(a.size(), b.size());
        long[][][] out = new long[size][][];
        for (int c = 0; c < size; c++) {
            if (c < a.size()) {
                out[c] = Polys.take(a.comps[c], limbs);
                if (c < b.size()) {
                    if (subtract) Polys.subInto(ring, out[c], b.comps[c], limbs);
                    else Polys.addInto(ring, out[c], b.comps[c], limbs);
                }
            } else {
                out[c] = Polys.take(b.comps[c], limbs);
                if (subtract) Polys.negate(ring, out[c], limbs);
            }
        }
        return new Ciphertext(out, a.scale);
    }

    /** Adds into {@code acc} in place (same level and scale); for accumulation loops. */
    public void addInPlace(Ciphertext acc, Ciphertext x) {
        checkSameLevel(acc.level(), x.level());
        checkSameScale(acc.scale, x.scale);
        if (x.size() > acc.size()) throw new CkksException("accumulator has fewer components than the addend");
        for (int c = 0; c < x.size(); c++) Polys.addInto(ring, acc.comps[c], x.comps[c], acc.level() + 1);
    }

    public Ciphertext negate(Ciphertext a) {
        long[][][] out = copyComps(a);
        for (long[][] c : out) Polys.negate(ring, c, a.level() + 1);
        return new Ciphertext(out, a.scale);
    }

    public Ciphertext addPlain(Ciphertext a, Plaintext p) {
        checkSameLevel(a.level(), p.level());
        checkSameScale(a.scale, p.scale);
        long[][][] out = copyComps(a);
        Polys.addInto(ring, out[0], p.poly, a.level() + 1);
        return new Ciphertext(out, a.scale);
    }

    public Ciphertext subPlain(Ciphertext a, Plaintext p) {
        checkSameLevel(a.level(), p.level());
        checkSameScale(a.scale, p.scale);
        long[][][] out = copyComps(a);
        Polys.subInto(ring, out[0], p.poly, a.level() + 1);
        return new Ciphertext(out, a.scale);
    }

    /** Multiplies by a plaintext; the scale becomes the product of both scales. */
    public Ciphertext multiplyPlain(Ciphertext a, Plaintext p) {
        checkSameLevel(a.level(), p.level());
        int limbs = a.level() + 1;
        int[] idx = Polys.dataIdx(limbs);
        long[][][] out = new long[a.size()][][];
        for (int c = 0; c < a.size(); c++) {
            out[c] = ring.newPoly(limbs);
            Polys.mul(ring, out[c], a.comps[c], p.poly, idx);
        }
        return new Ciphertext(out, a.scale * p.scale);
    }

    /** Multiplies by an integer; the scale is unchanged (exact). */
    public Ciphertext multiplyInteger(Ciphertext a, long k) {
        long[][][] out = copyComps(a);
        for (long[][] c : out) Polys.mulScalar(ring, c, k, a.level() + 1);
        return new Ciphertext(out, a.scale);
    }

    /** Multiplies by a real constant encoded at {@code constScale}; the scale grows by that factor. */
    public Ciphertext multiplyConstant(Ciphertext a, double value, double constScale) {
        double v = value * constScale;
        if (Math.abs(v) >= 0x1p62) throw new CkksException("constant too large for its scale");
        Ciphertext r = multiplyInteger(a, Math.round(v));
        return new Ciphertext(r.comps, a.scale * constScale);
    }

    public Ciphertext addConstant(Ciphertext a, double value) {
        double v = value * a.scale;
        if (Math.abs(v) >= 0x1p62) throw new CkksException("constant too large for the ciphertext's scale");
        long k = Math.round(v);
        long[][][] out = copyComps(a);
        // the constant polynomial k has every NTT value equal to k
        for (int i = 0; i <= a.level(); i++) {
            Modulus m = ring.modulus(i);
            long r = m.reduceSigned(k);
            long[] x = out[0][i];
            for (int j = 0; j < x.length; j++) x[j] = m.add(x[j], r);
        }
        return new Ciphertext(out, a.scale);
    }

    /** Multiplies by the monomial X^k (negacyclic shift of the coefficients); noise-free. */
    public Ciphertext multiplyMonomial(Ciphertext a, int k) {
        int n = params.n();
        int e = Math.floorMod(k, 2 * n);
        int limbs = a.level() + 1;
        long[][] mono = new long[limbs][n];
        for (int i = 0; i < limbs; i++) {
            long q = ring.modulus(i).value();
            if (e < n) mono[i][e] = 1;
            else mono[i][e - n] = q - 1;
            ring.ntt(i).forward(mono[i]);
        }
        long[][][] out = new long[a.size()][][];
        int[] idx = Polys.dataIdx(limbs);
        for (int c = 0; c < a.size(); c++) {
            out[c] = ring.newPoly(limbs);
            Polys.mul(ring, out[c], a.comps[c], mono, idx);
        }
        return new Ciphertext(out, a.scale);
    }

    // ------------------------------------------------------------------ multiplication

    /** Tensor product: 3 components, scale = product; relinearize or decrypt with 3 components. */
    public Ciphertext multiply(Ciphertext a, Ciphertext b) {
        if (a.size() != 2 || b.size() != 2) throw new CkksException("multiply needs 2-component ciphertexts (relinearize first)");
        checkSameLevel(a.level(), b.level());
        int limbs = a.level() + 1;
        long[][] d0 = ring.newPoly(limbs), d1 = ring.newPoly(limbs), d2 = ring.newPoly(limbs);
        tensorInto(a, b, d0, d1, d2, false);
        return new Ciphertext(new long[][][]{d0, d1, d2}, a.scale * b.scale);
    }

    public Ciphertext square(Ciphertext a) {
        return multiply(a, a);
    }

    /**
     * acc += a (x) b for a 3-component accumulator at the same level: the multiply-accumulate of inner
     * products over many ciphertext pairs, without allocating.
     */
    public void multiplyAccumulate(Ciphertext acc, Ciphertext a, Ciphertext b) {
        if (acc.size() != 3) throw new CkksException("accumulator must have 3 components");
        checkSameLevel(a.level(), b.level());
        checkSameLevel(acc.level(), a.level());
        checkSameScale(acc.scale, a.scale * b.scale);
        tensorInto(a, b, acc.comps[0], acc.comps[1], acc.comps[2], true);
    }

    /** A zero 3-component ciphertext to accumulate into. */
    public Ciphertext zeroAccumulator(int level, double scale) {
        int limbs = level + 1;
        return new Ciphertext(new long[][][]{ring.newPoly(limbs), ring.newPoly(limbs), ring.newPoly(limbs)}, scale);
    }

    private void tensorInto(Ciphertext a, Ciphertext b, long[][] d0, long[][] d1, long[][] d2, boolean accumulate) {
        int limbs = a.level() + 1;
        for (int i = 0; i < limbs; i++) {
            Modulus m = ring.modulus(i);
            long q = m.value();
            long[] a0 = a.comps[0][i], a1 = a.comps[1][i], b0 = b.comps[0][i], b1 = b.comps[1][i];
            long[] o0 = d0[i], o1 = d1[i], o2 = d2[i];
            for (int j = 0; j < o0.length; j++) {
                long x0 = a0[j], x1 = a1[j], y0 = b0[j], y1 = b1[j];
                long p0 = m.mul(x0, y0);
                long p2 = m.mul(x1, y1);
                // Karatsuba: x0 y1 + x1 y0 = (x0 + x1)(y0 + y1) - p0 - p2, three products instead of four
                long sx = x0 + x1, sy = y0 + y1;
                if (sx >= q) sx -= q;
                if (sy >= q) sy -= q;
                long p1 = m.mul(sx, sy) - p0;
                if (p1 < 0) p1 += q;
                p1 -= p2;
                if (p1 < 0) p1 += q;
                if (accumulate) {
                    long s = o0[j] + p0; o0[j] = s >= q ? s - q : s;
                    s = o1[j] + p1; o1[j] = s >= q ? s - q : s;
                    s = o2[j] + p2; o2[j] = s >= q ? s - q : s;
                } else {
                    o0[j] = p0; o1[j] = p1; o2[j] = p2;
                }
            }
        }
    }

    public Ciphertext relinearize(Ciphertext a, RelinKey rk) {
        if (a.size() == 2) return a;
        if (!rk.params().equals(params)) throw new CkksException("relinearization key belongs to other parameters");
        return new Ciphertext(keySwitch(a.comps[2], rk.key(), a.level(), a.comps[0], null, a.comps[1]), a.scale);
    }

    public Ciphertext multiplyRelin(Ciphertext a, Ciphertext b, RelinKey rk) {
        return relinearize(multiply(a, b), rk);
    }

    // ------------------------------------------------------------------ levels

    /** Divides by the last prime: level - 1, scale / q_level. */
    public Ciphertext rescale(Ciphertext a) {
        int l = a.level();
        if (l == 0) throw new CkksException("cannot rescale a level-0 ciphertext");
        long[][][] out = new long[a.size()][][];
        for (int c = 0; c < a.size(); c++) {
            out[c] = new long[l][params.n()];
            long[] last = a.comps[c][l].clone();
            divideRoundByLast(a.comps[c], last, l, l, out[c], null, null);
        }
        return new Ciphertext(out, a.scale / params.dataPrime(l));
    }

    /** Drops primes down to {@code level} without changing the scale. */
    public Ciphertext modSwitchTo(Ciphertext a, int level) {
        if (level > a.level() || level < 0) throw new CkksException("cannot mod-switch from level " + a.level() + " to " + level);
        long[][][] out = new long[a.size()][][];
        for (int c = 0; c < a.size(); c++) out[c] = Polys.take(a.comps[c], level + 1);
        return new Ciphertext(out, a.scale);
    }

    /** Plaintext version of {@link #modSwitchTo}. */
    public Plaintext modSwitchTo(Plaintext p, int level) {
        if (level > p.level() || level < 0) throw new CkksException("cannot mod-switch from level " + p.level() + " to " + level);
        return new Plaintext(Polys.take(p.poly, level + 1), p.scale);
    }

    /**
     * out[i] = (x[i] - [last]_centred) / q_last mod q_i for i < limbs: the rounded division by the prime of index
     * {@code lastIdx} (rescaling, or the mod-down by the special prime). {@code last} is that prime's limb in NTT form
     * and is overwritten; out may be x. When {@code addend} is given, its limb i (read through the NTT-slot
     * permutation {@code perm} when that is not null) is added to out[i] in the same pass.
     */
    private void divideRoundByLast(long[][] x, long[] last, int lastIdx, int limbs, long[][] out, long[][] addend, int[] perm) {
        ring.ntt(lastIdx).inverse(last);
        long ql = ring.modulus(lastIdx).value(), half = ql >>> 1;
        Parallel.forEach(limbs, i -> {
            Modulus m = ring.modulus(i);
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
            ring.ntt(i).forward(t);
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

    /** Per-thread reusable N-coefficient buffer number {@code k} (0 or 1). */
    private long[] scratch(int k) {
        long[][] s = SCRATCH.get();
        int n = params.n();
        if (s == null || s[0].length != n) {
            s = new long[][]{new long[n], new long[n]};
            SCRATCH.set(s);
        }
        return s[k];
    }

    // ------------------------------------------------------------------ key switching and automorphisms

    /**
     * Key switching of one polynomial d (NTT, data limbs 0..level): returns (r0, r1) with
     * r0 + r1*s ~ d*s' where the key switches s' -> s. RNS decomposition, one digit per data prime,
     * then division by the special prime with rounding.
     */
    long[][][] keySwitch(long[][] d, SwitchingKey key, int level) {
        return keySwitch(d, key, level, null, null, null);
    }

    /** Key switching that also adds add0 (permuted by perm when given) and add1 to the two outputs. */
    private long[][][] keySwitch(long[][] d, SwitchingKey key, int level, long[][] add0, int[] perm, long[][] add1) {
        int limbs = level + 1;
        int n = params.n();
        int sp = params.specialIndex();
        long[][] coeffs = new long[limbs][];
        Parallel.forEach(limbs, i -> {
            coeffs[i] = d[i].clone();
            ring.ntt(i).inverse(coeffs[i]);
        });
        long[][] acc0 = new long[limbs + 1][n], acc1 = new long[limbs + 1][n];
        // streaming: each digit is lifted, transformed and multiplied while it is still in cache
        Parallel.forEach(limbs + 1, t -> {
            int pj = t < limbs ? t : sp;
            Modulus mj = ring.modulus(pj);
            long[][] s = lazyScratch();
            long[] lifted = s[4];
            for (int i = 0; i < limbs; i++) {
                long[] digit;
                if (pj == i) {
                    digit = d[i];
                } else {
                    liftCentred(coeffs[i], ring.modulus(i).value(), mj, lifted);
                    ring.ntt(pj).forward(lifted);
                    digit = lifted;
                }
                multiplyAccumulate(mj, digit, key.b[i][pj], key.a[i][pj], acc0[t], acc1[t], s, i, limbs);
            }
        });
        divideRoundByLast(acc0, acc0[limbs], sp, limbs, acc0, add0, perm);
        divideRoundByLast(acc1, acc1[limbs], sp, limbs, acc1, add1, null);
        return new long[][][]{Arrays.copyOf(acc0, limbs), Arrays.copyOf(acc1, limbs)};
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
    private static void multiplyAccumulate(Modulus mj, long[] digit, long[] kb, long[] ka, long[] o0, long[] o1,
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
     * The digits of d: digit i is [d]_{q_i} in coefficient form, CENTRED in (-q_i/2, q_i/2], lifted to every target
     * prime (data primes 0..limbs-1, then the special prime) and transformed: [digit][target][coeff], NTT form.
     * Centring matters for precision, not only for size: an uncentred digit has mean q_i/2 in every coefficient,
     * and (q_i/2) * (1 + X + ... + X^(N-1)) * e is an error that the canonical embedding concentrates in the slots
     * near the root 1 (measured: max slot error 3-4x the fresh error with a 60-bit q_0; ~1.1x when centred).
     */
    private long[][][] decompose(long[][] d, int limbs) {
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
     * Sum over digits of digit (optionally permuted by an NTT-slot permutation, i.e. an automorphism applied to the
     * decomposition) times the key, then the mod-down by the special prime.
     */
    private long[][][] keySwitchDigits(long[][][] digits, SwitchingKey key, int limbs, int[] perm, long[][] add0) {
        int n = params.n();
        int sp = params.specialIndex();
        long[][] acc0 = new long[limbs + 1][n], acc1 = new long[limbs + 1][n];
        Parallel.forEach(limbs + 1, t -> {
            int pj = t < limbs ? t : sp;
            long[][] s = lazyScratch();
            for (int i = 0; i < limbs; i++) {
                long[] digit = digits[i][t];
                if (perm != null) {
                    Automorphism.applyNtt(digit, s[4], perm);
                    digit = s[4];
                }
                multiplyAccumulate(ring.modulus(pj), digit, key.b[i][pj], key.a[i][pj], acc0[t], acc1[t], s, i, limbs);
            }
        });
        divideRoundByLast(acc0, acc0[limbs], sp, limbs, acc0, add0, perm);
        divideRoundByLast(acc1, acc1[limbs], sp, limbs, acc1, null, null);
        return new long[][][]{Arrays.copyOf(acc0, limbs), Arrays.copyOf(acc1, limbs)};
    }

    /** Applies X -> X^g and switches back to the secret key (needs that Galois key). */
    public Ciphertext applyGalois(Ciphertext a, int g, GaloisKeys keys) {
        if (a.size() != 2) throw new CkksException("relinearize before an automorphism");
        if (!keys.params().equals(params)) throw new CkksException("Galois keys belong to other parameters");
        SwitchingKey key = keys.get(g);
        int limbs = a.level() + 1;
        int[] perm = Automorphism.nttPermutation(params.n(), g);
        long[][] c1 = permute(a.comps[1], perm, limbs);
        return new Ciphertext(keySwitch(c1, key, a.level(), a.comps[0], perm, null), a.scale);
    }

    /** Left rotation of the slots by {@code steps}. */
    public Ciphertext rotate(Ciphertext a, int steps, GaloisKeys keys) {
        int g = GaloisKeys.rotationElement(params.n(), steps);
        if (g == 1) return a;
        return applyGalois(a, g, keys);
    }

    public Ciphertext conjugate(Ciphertext a, GaloisKeys keys) {
        return applyGalois(a, GaloisKeys.conjugationElement(params.n()), keys);
    }

    /**
     * Several rotations of one ciphertext sharing the expensive part (hoisting): the digit decomposition
     * of c1 (inverse NTTs, lifts, forward NTTs) is computed once; each rotation then permutes the decomposed
     * digits in the NTT domain (automorphisms commute with the decomposition) before the key products.
     */
    public Map<Integer, Ciphertext> rotateHoisted(Ciphertext a, List<Integer> steps, GaloisKeys keys) {
        if (a.size() != 2) throw new CkksException("relinearize before rotating");
        if (!keys.params().equals(params)) throw new CkksException("Galois keys belong to other parameters");
        int limbs = a.level() + 1;
        int n = params.n();
        long[][][] digits = null;
        Map<Integer, Ciphertext> out = new LinkedHashMap<>();
        for (int step : steps) {
            int g = GaloisKeys.rotationElement(n, step);
            if (g == 1) {
                out.put(step, a);
                continue;
            }
            SwitchingKey key = keys.get(g);
            if (digits == null) digits = decompose(a.comps[1], limbs);
            int[] perm = Automorphism.nttPermutation(n, g);
            out.put(step, new Ciphertext(keySwitchDigits(digits, key, limbs, perm, a.comps[0]), a.scale));
        }
        return out;
    }

    /** Sum of all slots into every slot: log2(N/2) rotate-and-add steps (keys for powers of two). */
    public Ciphertext sumSlots(Ciphertext a, GaloisKeys keys) {
        return sumSlots(a, params.slots(), keys);
    }

    /** Sum of the first {@code count} (a power of two) slots' cyclic windows: rotations by 1, 2, 4, ... */
    public Ciphertext sumSlots(Ciphertext a, int count, GaloisKeys keys) {
        if (Integer.bitCount(count) != 1 || count > params.slots()) throw new CkksException("count must be a power of two <= N/2");
        Ciphertext acc = a;
        for (int s = 1; s < count; s <<= 1) acc = add(acc, rotate(acc, s, keys));
        return acc;
    }

    /** Encrypted inner product of the first {@code count} slots (count a power of two), relinearized and rescaled. */
    public Ciphertext innerProduct(Ciphertext a, Ciphertext b, int count, RelinKey rk, GaloisKeys keys) {
        return sumSlots(rescale(multiplyRelin(a, b, rk)), count, keys);
    }

    /** Rotation steps {@link #sumSlots(Ciphertext, int, GaloisKeys)} needs. */
    public static List<Integer> powerOfTwoSteps(int count) {
        List<Integer> s = new ArrayList<>();
        for (int k = 1; k < count; k <<= 1) s.add(k);
        return s;
    }

    private long[][] permute(long[][] x, int[] perm, int limbs) {
        long[][] out = new long[limbs][params.n()];
        for (int i = 0; i < limbs; i++) Automorphism.applyNtt(x[i], out[i], perm);
        return out;
    }

    // ------------------------------------------------------------------ checks

    private void checkSameLevel(int a, int b) {
        if (a != b) throw new CkksException("level mismatch: " + a + " vs " + b + " (mod-switch the higher one first)");
    }

    private static void checkSameScale(double a, double b) {
        if (Math.abs(a - b) > 1e-9 * Math.max(a, b)) {
            throw new CkksException(String.format("scale mismatch: 2^%.4f vs 2^%.4f", Math.log(a) / Math.log(2), Math.log(b) / Math.log(2)));
        }
    }

    private static long[][][] copyComps(Ciphertext a) {
        long[][][] out = new long[a.size()][][];
        for (int c = 0; c < a.size(); c++) out[c] = Polys.take(a.comps[c], a.level() + 1);
        return out;
    }
}
