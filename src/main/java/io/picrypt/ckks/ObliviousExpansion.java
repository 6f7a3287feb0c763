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
 * Levels run in parallel over their ciphertexts. Thread-safe.
 */
public final class ObliviousExpansion {
    private final CkksParameters params;
    private final RingContext ring;
    private final int n;
    private final Evaluator evaluator;
    private final Map<Long, long[][]> monomials = new ConcurrentHashMap<>();

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
        checkOutputs(n, outputs);
        if (ct.size() != 2) throw new CkksException("expansion needs a 2-component ciphertext");
        if (!keys.params().equals(params)) throw new CkksException("Galois keys belong to other parameters");
        for (int g : galoisElements(n, outputs)) keys.get(g); // fail before any work if a key is missing
        Ciphertext[] cur = {ct};
        for (int l = 0; (1 << l) < outputs; l++) {
            final Ciphertext[] in = cur;
            final int half = in.length;
            final Ciphertext[] next = new Ciphertext[2 * half];
            int g = (n >> l) + 1;
            long[][] mono = monomial(-(1 << l), ct.level());
            Parallel.forEach(half, k -> {
                Ciphertext c = in[k];
                Ciphertext s = substitute(c, g, keys);
                int limbs = c.level() + 1;
                long[][][] plus = new long[2][][], minus = new long[2][][];
                for (int comp = 0; comp < 2; comp++) {
                    plus[comp] = new long[limbs][n];
                    minus[comp] = new long[limbs][n];
                    for (int i = 0; i < limbs; i++) {
                        Modulus m = ring.modulus(i);
                        long q = m.value();
                        long[] a = c.comps[comp][i], b = s.comps[comp][i], p = plus[comp][i], d = minus[comp][i], w = mono[i];
                        for (int j = 0; j < n; j++) {
                            long x = a[j] + b[j];
                            p[j] = x >= q ? x - q : x;
                            long y = a[j] - b[j];
                            d[j] = m.mul(y < 0 ? y + q : y, w[j]);
                        }
                    }
                }
                next[k] = new Ciphertext(plus, c.scale * 2);
                next[k + half] = new Ciphertext(minus, c.scale * 2);
            });
            cur = next;
        }
        return Arrays.asList(cur);
    }

    /** X -> X^g with key switching back to s: the evaluator's own (centred digits, lazy reduction, limb-parallel). */
    Ciphertext substitute(Ciphertext c, int g, GaloisKeys keys) {
        return evaluator.applyGalois(c, g, keys);
    }

    /** Checks that {@code keys} hold every element an expansion into {@code outputs} needs. */
    public void prepare(GaloisKeys keys, int outputs) {
        for (int g : galoisElements(n, outputs)) keys.get(g);
    }

    /** NTT values of X^k on limbs 0..level. */
    private long[][] monomial(int k, int level) {
        return monomials.computeIfAbsent(((long) k << 8) | level, key -> {
            int e = Math.floorMod(k, 2 * n);
            long[][] mono = new long[level + 1][n];
            for (int i = 0; i <= level; i++) {
                long q = ring.modulus(i).value();
                if (e < n) mono[i][e] = 1;
                else mono[i][e - n] = q - 1;
                ring.ntt(i).forward(mono[i]);
            }
            return mono;
        });
    }
}
