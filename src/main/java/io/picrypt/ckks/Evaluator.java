package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.RingContext;

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

    private final KeySwitcher keySwitcher;

    public Evaluator(CkksParameters params) {
        this.params = params;
        this.ring = params.ring();
        this.keySwitcher = new KeySwitcher(params);
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
        checkMultiplicands(a, b);
        Ciphertext dest = newCiphertext(3, a.level(), 0);
        multiply(a, b, dest);
        return dest;
    }

    /**
     * {@link #multiply(Ciphertext, Ciphertext)} into {@code dest} (3 components at the operands' level, from
     * {@link #newCiphertext} or an earlier result; not a or b); allocates nothing.
     *
     * @throws CkksException when the shapes, levels or dest do not fit
     */
    public void multiply(Ciphertext a, Ciphertext b, Ciphertext dest) {
        checkMultiplicands(a, b);
        checkDestination(dest, 3, a.level(), a, b);
        tensorInto(a, b, dest.comps[0], dest.comps[1], dest.comps[2]);
        dest.overwritten(a.scale * b.scale);
    }

    private void checkMultiplicands(Ciphertext a, Ciphertext b) {
        if (a.size() != 2 || b.size() != 2) throw new CkksException("multiply needs 2-component ciphertexts (relinearize first)");
        checkSameLevel(a.level(), b.level());
    }

    public Ciphertext square(Ciphertext a) {
        return multiply(a, a);
    }

    /**
     * A zero ciphertext of {@code size} (2 or 3) components at {@code level} with the given scale: the destination
     * for the destination variants (multiply, relinearize, rescale, rotate), reusable across calls.
     */
    public Ciphertext newCiphertext(int size, int level, double scale) {
        if (level < 0 || level > params.maxLevel()) throw new CkksException("level " + level + " outside 0.." + params.maxLevel());
        long[][][] comps = new long[size][][];
        for (int c = 0; c < size; c++) comps[c] = ring.newPoly(level + 1);
        return new Ciphertext(comps, scale);
    }

    /** The Karatsuba tensor (a0 b0, a0 b1 + a1 b0, a1 b1) into d0, d1, d2 (overwritten), limb by limb. */
    private void tensorInto(Ciphertext a, Ciphertext b, long[][] d0, long[][] d1, long[][] d2) {
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
                o0[j] = p0; o1[j] = p1; o2[j] = p2;
            }
        }
    }

    public Ciphertext relinearize(Ciphertext a, RelinKey rk) {
        if (a.size() == 2) return a;
        Ciphertext dest = newCiphertext(2, a.level(), 0);
        relinearize(a, rk, dest);
        return dest;
    }

    /**
     * {@link #relinearize(Ciphertext, RelinKey)} of a 3-component {@code a} into {@code dest} (2 components at a's
     * level, not a itself); the key switch's buffers are pooled per thread, so this allocates nothing.
     */
    public void relinearize(Ciphertext a, RelinKey rk, Ciphertext dest) {
        if (a.size() != 3) throw new CkksException("relinearize into a destination needs a 3-component ciphertext");
        if (!rk.params().equals(params)) throw new CkksException("relinearization key belongs to other parameters");
        checkDestination(dest, 2, a.level(), a, null);
        keySwitcher.switchKey(a.comps[2], rk.key(), a.level() + 1, a.comps[0], null, a.comps[1], dest.comps[0], dest.comps[1]);
        dest.overwritten(a.scale);
    }

    public Ciphertext multiplyRelin(Ciphertext a, Ciphertext b, RelinKey rk) {
        return relinearize(multiply(a, b), rk);
    }

    // ------------------------------------------------------------------ levels

    /** Divides by the last prime: level - 1, scale / q_level. */
    public Ciphertext rescale(Ciphertext a) {
        if (a.level() == 0) throw new CkksException("cannot rescale a level-0 ciphertext");
        Ciphertext dest = newCiphertext(a.size(), a.level() - 1, 0);
        rescale(a, dest);
        return dest;
    }

    /**
     * {@link #rescale(Ciphertext)} into {@code dest} (same number of components, one level below a, not a itself);
     * allocates nothing.
     */
    public void rescale(Ciphertext a, Ciphertext dest) {
        int l = a.level();
        if (l == 0) throw new CkksException("cannot rescale a level-0 ciphertext");
        checkDestination(dest, a.size(), l - 1, a, null);
        for (int c = 0; c < a.size(); c++) {
            long[] last = ring.scratch(1);
            System.arraycopy(a.comps[c][l], 0, last, 0, last.length);
            ring.divideRoundByLast(a.comps[c], last, l, l, dest.comps[c], null, null);
        }
        dest.overwritten(a.scale / params.dataPrime(l));
    }

    /**
     * Rescales {@code a} in place: its components lose their last limb (the dropped limb arrays become garbage; the
     * others are reused), level - 1, scale / q_level.
     */
    public void rescaleInPlace(Ciphertext a) {
        int l = a.level();
        if (l == 0) throw new CkksException("cannot rescale a level-0 ciphertext");
        for (int c = 0; c < a.size(); c++) {
            long[][] x = a.comps[c];
            ring.divideRoundByLast(x, x[l], l, l, x, null, null); // x[l] is consumed: it is dropped below
            a.comps[c] = Arrays.copyOf(x, l);
        }
        a.overwritten(a.scale / params.dataPrime(l));
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

    // ------------------------------------------------------------------ key switching and automorphisms

    /** Applies X -> X^g and switches back to the secret key (needs that Galois key). */
    public Ciphertext applyGalois(Ciphertext a, int g, GaloisKeys keys) {
        Ciphertext dest = newCiphertext(2, a.level(), 0);
        applyGalois(a, g, keys, dest);
        return dest;
    }

    /** {@link #applyGalois(Ciphertext, int, GaloisKeys)} into {@code dest} (2 components at a's level, not a). */
    public void applyGalois(Ciphertext a, int g, GaloisKeys keys, Ciphertext dest) {
        if (a.size() != 2) throw new CkksException("relinearize before an automorphism");
        if (!keys.params().equals(params)) throw new CkksException("Galois keys belong to other parameters");
        SwitchingKey key = keys.get(g);
        checkDestination(dest, 2, a.level(), a, null);
        int[] perm = Automorphism.nttPermutation(params.n(), g);
        keySwitcher.switchKey(a.comps[1], key, a.level() + 1, a.comps[0], perm, null, dest.comps[0], dest.comps[1]);
        dest.overwritten(a.scale);
    }

    /** Left rotation of the slots by {@code steps}. */
    public Ciphertext rotate(Ciphertext a, int steps, GaloisKeys keys) {
        int g = GaloisKeys.rotationElement(params.n(), steps);
        if (g == 1) return a;
        return applyGalois(a, g, keys);
    }

    /** {@link #rotate(Ciphertext, int, GaloisKeys)} into {@code dest} (2 components at a's level, not a). */
    public void rotate(Ciphertext a, int steps, GaloisKeys keys, Ciphertext dest) {
        int g = GaloisKeys.rotationElement(params.n(), steps);
        if (g != 1) {
            applyGalois(a, g, keys, dest);
            return;
        }
        checkDestination(dest, a.size(), a.level(), a, null);
        for (int c = 0; c < a.size(); c++) {
            for (int i = 0; i <= a.level(); i++) System.arraycopy(a.comps[c][i], 0, dest.comps[c][i], 0, params.n());
        }
        dest.overwritten(a.scale);
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
            if (digits == null) digits = keySwitcher.decompose(a.comps[1], limbs);
            int[] perm = Automorphism.nttPermutation(n, g);
            Ciphertext r = newCiphertext(2, a.level(), a.scale);
            keySwitcher.switchKeyHoisted(digits, key, limbs, perm, a.comps[0], r.comps[0], r.comps[1]);
            out.put(step, r);
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

    // ------------------------------------------------------------------ checks

    /** dest must have {@code size} components of level+1 full limbs and be neither operand (results overwrite it). */
    private void checkDestination(Ciphertext dest, int size, int level, Ciphertext a, Ciphertext b) {
        if (dest == null) throw new CkksException("destination is null");
        if (dest == a || dest == b) throw new CkksException("destination must not be an operand (use the in-place variant)");
        if (dest.size() != size || dest.level() != level) {
            throw new CkksException("destination must have " + size + " components at level " + level + ", has "
                    + dest.size() + " at level " + dest.level());
        }
        for (long[][] c : dest.comps) {
            if (c.length != level + 1) throw new CkksException("destination components differ in level");
            for (long[] limb : c) if (limb.length != params.n()) throw new CkksException("destination limbs are not N long");
        }
    }

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
