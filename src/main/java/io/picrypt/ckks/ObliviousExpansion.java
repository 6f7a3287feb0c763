package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.Parallel;
import io.picrypt.ring.RingContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SealPIR-style oblivious expansion: one ciphertext whose coefficients 0..k-1 encrypt m_0..m_{k-1}
 * (coefficient encoding, k a power of two) becomes k ciphertexts, the j-th encrypting the CONSTANT
 * polynomial k * m_j. Level l (l = 0..log2 k - 1) maps every ciphertext c to c + Subs(c) and
 * (c - Subs(c)) * X^(-2^l) with Subs = X -> X^(N/2^l + 1) plus key switching; the message doubles
 * at every level, so the output scale is k times the input scale (callers pre-divide by k).
 * In general input coefficient i lands in output (i mod k) at X^(i - i mod k), times k: coefficients
 * at or above k must be zero for constant outputs, or placed on purpose (the gallery puts several
 * dimensions per output this way).
 *
 * <p>Each substitution is {@link Evaluator#applyGalois} (a permutation of NTT values plus one key switch).
 * Levels run in parallel over their ciphertexts (independent of each other: the order of work does not change a word
 * of the outputs). Past level 0 the two outputs of each ciphertext overwrite it and its substitution in place (both
 * belong to the expansion), so a fan-out of k allocates k-1 substitution outputs and nothing else. Thread-safe.
 */
public final class ObliviousExpansion {
    private final CkksParameters params;
    private final RingContext ring;
    private final int n;
    private final Evaluator evaluator;
    /** NTT values of X^k per limb and their Shoup companions, by (k, level): [0][limb] values, [1][limb] companions. */
    private final Map<Long, long[][][]> monomials = new ConcurrentHashMap<>();

    public ObliviousExpansion(CkksParameters params) {
        if (!params.hasSpecialPrime()) throw new CkksException("oblivious expansion needs key switching (a special prime)");
        this.params = params;
        this.ring = params.ring();
        this.n = params.n();
        this.evaluator = new Evaluator(params);
    }

    /** The Galois elements N/2^l + 1, l = 0..log2(outputs)-1, the client must provide keys for. */
    public static List<Integer> galoisElements(int n, int outputs) {
        checkOutputs(n, outputs);
        List<Integer> g = new ArrayList<>();
        for (int l = 0; (1 << l) < outputs; l++) g.add((n >> l) + 1);
        return g;
    }

    private static void checkOutputs(int n, int outputs) {
        if (outputs < 1 || Integer.bitCount(outputs) != 1 || outputs > n) throw new CkksException("outputs must be a power of two in [1, N]: " + outputs);
    }

    /** Expands {@code ct} (2 components) into {@code outputs} ciphertexts; output j encrypts the constant outputs * m_j. */
    public List<Ciphertext> expand(Ciphertext ct, int outputs, GaloisKeys keys) {
        return expand(ct, outputs, keys, Integer.MAX_VALUE);
    }

    /**
     * {@link #expand(Ciphertext, int, GaloisKeys)} that rescales every ciphertext once, after {@code rescaleAfter}
     * levels (0 = before the first), and runs the remaining levels one prime lower. Why: a key switch costs ~12 NTTs
     * at two data primes and ~6 at one, and the levels near the end hold most of the key switches (level l has 2^l), while
     * the rescale is what divides the input's own noise (multiplied by {@code outputs} along with the message) by the
     * dropped prime. Rescaling after k of log2(outputs) levels leaves the rescale's rounding (~21 per coefficient at
     * N = 8192, ternary key) and the later key switches' errors multiplied by 2^(log2(outputs) - k) instead of ~21:
     * measured for the gallery (128 outputs, k = 5) in docs/PROTOCOL.md "Noise and precision".
     * Outputs are at {@code ct.level() - 1} and scale ct.scale * outputs / q_level; with rescaleAfter >= log2(outputs)
     * this is the plain expansion (no rescale).
     *
     * @throws CkksException as the plain expansion, or if a rescale is asked for at level 0
     */
    public List<Ciphertext> expand(Ciphertext ct, int outputs, GaloisKeys keys, int rescaleAfter) {
        checkOutputs(n, outputs);
        if (ct.size() != 2) throw new CkksException("expansion needs a 2-component ciphertext");
        if (!keys.params().equals(params)) throw new CkksException("Galois keys belong to other parameters");
        if (rescaleAfter < 0) throw new CkksException("rescaleAfter must be >= 0");
        int levels = Integer.numberOfTrailingZeros(outputs);
        if (rescaleAfter <= levels && ct.level() < 1) throw new CkksException("cannot rescale a level-0 ciphertext");
        for (int g : galoisElements(n, outputs)) keys.get(g); // fail before any work if a key is missing
        Ciphertext[] cur = {ct};
        boolean owned0 = false; // whether cur's ciphertexts belong to the expansion (not the caller's)
        for (int l = 0; (1 << l) < outputs || l == rescaleAfter; l++) {
            if (l == rescaleAfter) {
                final Ciphertext[] in = cur;
                final boolean inOwned = owned0;
                Parallel.forEach(in.length, k -> {
                    if (inOwned) evaluator.rescaleInPlace(in[k]);
                    else in[k] = evaluator.rescale(in[k]);
                });
                owned0 = true;
                if ((1 << l) >= outputs) break;
            }
            final Ciphertext[] in = cur;
            final int half = in.length;
            final Ciphertext[] next = new Ciphertext[2 * half];
            int g = (n >> l) + 1;
            int level = in[0].level();
            long[][][] monoTables = monomial(-(1 << l), level);
            long[][] mono = monoTables[0], monoShoup = monoTables[1];
            final boolean owned = owned0; // the first level may read the caller's ciphertext, which must not change
            Parallel.forEach(half, k -> {
                Ciphertext c = in[k];
                Ciphertext s = substitute(c, g, keys); // a fresh ciphertext: it becomes the "minus" output in place
                int limbs = c.level() + 1;
                long[][][] plus = owned ? c.comps : new long[2][limbs][n], minus = s.comps;
                for (int comp = 0; comp < 2; comp++) {
                    for (int i = 0; i < limbs; i++) {
                        Modulus m = ring.modulus(i);
                        long q = m.value();
                        long[] a = c.comps[comp][i], b = s.comps[comp][i], p = plus[comp][i], d = minus[comp][i], w = mono[i], ws = monoShoup[i];
                        for (int j = 0; j < n; j++) {
                            long aj = a[j], bj = b[j]; // read both before p (may be a) and d (is b) are written
                            long x = aj + bj;
                            p[j] = x >= q ? x - q : x;
                            long y = aj - bj;
                            d[j] = m.mulShoup(y < 0 ? y + q : y, w[j], ws[j]); // the monomial's NTT values are fixed: Shoup, not Barrett
                        }
                    }
                }
                double scale = c.scale * 2; // before c (owned) is overwritten
                next[k] = owned ? c : new Ciphertext(plus, scale);
                next[k].overwritten(scale);
                s.overwritten(scale);
                next[k + half] = s;
            });
            cur = next;
            owned0 = true;
        }
        return Arrays.asList(cur);
    }

    /**
     * base_j + expanded_j * X^shift for every j, on off-heap columns: the gallery's enrollment update when the expansion
     * already ended at the base's level ({@link #expand(Ciphertext, int, GaloisKeys, int)} with a rescale). The NTT-domain
     * product with the exact monomial is a multiplication by its fixed NTT values (Shoup), then the addition: word for
     * word {@code evaluator.add(base_j, evaluator.multiplyPlain(expanded_j, X^shift encoded at scale 1))}. Reads the
     * base's words and writes a new off-heap list in one pass; the base is not modified (copy on write).
     *
     * @param base     count ciphertexts (2 components, one level, one scale), not modified
     * @param expanded count ciphertexts at the base's level and scale (relative difference <= 1e-9), 2 components
     * @param shift    exponent of the monomial, 0..N-1
     * @return a new off-heap list at the base's level and scale; none of its ciphertexts is seeded (c1 changed)
     * @throws CkksException if counts, levels, ring degrees or scales do not match, or shift is outside [0, N)
     */
    public OffHeapCiphertexts addShifted(OffHeapCiphertexts base, List<Ciphertext> expanded, int shift) {
        if (base.count() != expanded.size()) throw new CkksException("base and expanded ciphertexts differ in number");
        if (base.ringDegree() != n) throw new CkksException("base ring degree " + base.ringDegree() + " is not " + n);
        if (shift < 0 || shift >= n) throw new CkksException("shift outside [0, N)");
        int level = base.level();
        for (int j = 0; j < expanded.size(); j++) {
            Ciphertext x = expanded.get(j);
            if (x.size() != 2 || x.level() != level) throw new CkksException("shapes do not match at " + j);
            if (Math.abs(x.scale / base.scale() - 1) > 1e-9) throw new CkksException("scales do not match at " + j);
        }
        long[][][] tables = monomial(shift, level);
        long[][] mono = tables[0], monoShoup = tables[1];
        OffHeapCiphertexts out = base.unseededBlank();
        int count = base.count();
        // by tiles of rows (the off-heap layout is row-major): copy the base's rows, add X^shift times each expanded
        // ciphertext's run of the same coefficients (read in order), write the rows
        out.forEachRowTile((i, k0, nr, tile, stride) -> {
            Modulus m = ring.modulus(i);
            long q = m.value();
            long[] w = mono[i], ws = monoShoup[i];
            base.copyRows(i, k0, nr, tile, stride);
            for (int j = 0; j < count; j++) for (int c = 0; c < 2; c++) {
                long[] x = expanded.get(j).comps[c][i];
                for (int r = 0, at = 2 * j + c; r < nr; r++, at += stride) {
                    int k = k0 + r;
                    long v = tile[at] + m.mulShoup(x[k], w[k], ws[k]);
                    tile[at] = v >= q ? v - q : v;
                }
            }
            out.writeRows(i, k0, nr, tile, stride);
        });
        return out; // written only here, before any reader can see it
    }

    /** X -> X^g with key switching back to s: the evaluator's own (centred digits, lazy reduction, limb-parallel). */
    Ciphertext substitute(Ciphertext c, int g, GaloisKeys keys) {
        return evaluator.applyGalois(c, g, keys);
    }

    /** Checks that {@code keys} hold every element an expansion into {@code outputs} needs. */
    public void prepare(GaloisKeys keys, int outputs) {
        for (int g : galoisElements(n, outputs)) keys.get(g);
    }

    /** NTT values of X^k on limbs 0..level, and their Shoup companions (computed once per (k, level), kept). */
    private long[][][] monomial(int k, int level) {
        return monomials.computeIfAbsent(((long) k << 8) | level, key -> {
            int e = Math.floorMod(k, 2 * n);
            long[][] mono = new long[level + 1][n], shoup = new long[level + 1][n];
            for (int i = 0; i <= level; i++) {
                Modulus m = ring.modulus(i);
                long q = m.value();
                if (e < n) mono[i][e] = 1;
                else mono[i][e - n] = q - 1;
                ring.ntt(i).forward(mono[i]);
                for (int j = 0; j < n; j++) shoup[i][j] = m.shoup(mono[i][j]);
            }
            return new long[][][]{mono, shoup};
        });
    }
}
