package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.RingContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

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
 * <p>The automorphism is applied in the NTT domain, where it is a permutation of evaluation points
 * (no transforms), so each substitution costs one key switch. Levels run in parallel over their
 * ciphertexts. Thread-safe.
 */
public final class ObliviousExpansion {
    private final CkksParameters params;
    private final RingContext ring;
    private final int n;
    private final int logN;
    private final Map<Integer, int[]> permutations = new ConcurrentHashMap<>();
    private final Map<Long, long[][]> monomials = new ConcurrentHashMap<>();

    public ObliviousExpansion(CkksParameters params) {
        if (!params.hasSpecialPrime()) throw new CkksException("oblivious expansion needs key switching (a special prime)");
        this.params = params;
        this.ring = params.ring();
        this.n = params.n();
        this.logN = Integer.numberOfTrailingZeros(n);
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
            SwitchingKey key = keys.get(g);
            long[][] mono = monomial(-(1 << l), ct.level());
            IntStream.range(0, half).parallel().forEach(k -> {
                Ciphertext c = in[k];
                Ciphertext s = substitute(c, g, key);
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

    /**
     * X -> X^g with key switching back to s. The permutation acts on NTT values; the key products use
     * Shoup companions of the key precomputed once per key (the key is the fixed operand), and the
     * division by the special prime multiplies by a precomputed P^-1. Same arithmetic as
     * {@link Evaluator#applyGalois}, fewer reductions.
     */
    Ciphertext substitute(Ciphertext c, int g, SwitchingKey key) {
        int limbs = c.level() + 1;
        int sp = params.specialIndex();
        int[] perm = permutation(g);
        long[][] p0 = new long[limbs][n], p1 = new long[limbs][n];
        for (int i = 0; i < limbs; i++) {
            long[] a0 = c.comps[0][i], a1 = c.comps[1][i], o0 = p0[i], o1 = p1[i];
            for (int j = 0; j < n; j++) {
                int src = perm[j];
                o0[j] = a0[src];
                o1[j] = a1[src];
            }
        }
        long[][][] shoup = shoupKey(key);
        long[][] acc0 = new long[limbs + 1][n], acc1 = new long[limbs + 1][n];
        long[] coeff = new long[n], lifted = new long[n];
        for (int i = 0; i < limbs; i++) {
            System.arraycopy(p1[i], 0, coeff, 0, n);
            ring.ntt(i).inverse(coeff);
            long qi = ring.modulus(i).value();
            for (int t = 0; t <= limbs; t++) {
                int pj = t < limbs ? t : sp;
                Modulus mj = ring.modulus(pj);
                long q = mj.value();
                long[] digit;
                if (pj == i) {
                    digit = p1[i];
                } else {
                    if (qi < q) System.arraycopy(coeff, 0, lifted, 0, n);
                    else for (int j = 0; j < n; j++) lifted[j] = mj.reduce(coeff[j]);
                    ring.ntt(pj).forward(lifted);
                    digit = lifted;
                }
                long[] kb = key.b[i][pj], ka = key.a[i][pj], kbs = shoup[2 * i][pj], kas = shoup[2 * i + 1][pj];
                long[] o0 = acc0[t], o1 = acc1[t];
                for (int j = 0; j < n; j++) {
                    long d = digit[j];
                    long s = o0[j] + mj.mulShoup(d, kb[j], kbs[j]);
                    o0[j] = s >= q ? s - q : s;
                    s = o1[j] + mj.mulShoup(d, ka[j], kas[j]);
                    o1[j] = s >= q ? s - q : s;
                }
            }
        }
        long[][] r0 = modDown(acc0, limbs), r1 = modDown(acc1, limbs);
        Polys.addInto(ring, r0, p0, limbs);
        return new Ciphertext(new long[][][]{r0, r1}, c.scale);
    }

    /** (x - [x]_P) / P on the data limbs, where x's last limb is mod the special prime P (all NTT form). */
    private long[][] modDown(long[][] x, int limbs) {
        int sp = params.specialIndex();
        long p = params.specialPrime(), half = p >>> 1;
        long[] last = x[limbs];
        ring.ntt(sp).inverse(last);
        long[][] out = new long[limbs][];
        long[] t = new long[n];
        for (int i = 0; i < limbs; i++) {
            Modulus m = ring.modulus(i);
            long q = m.value();
            long pModQ = m.reduce(p);
            long inv = m.inverse(pModQ), invS = m.shoup(inv);
            for (int j = 0; j < n; j++) {
                long v = last[j];
                t[j] = v > half ? m.sub(m.reduce(v), pModQ) : m.reduce(v);
            }
            ring.ntt(i).forward(t);
            long[] o = x[i];
            for (int j = 0; j < n; j++) {
                long d = o[j] - t[j];
                if (d < 0) d += q;
                o[j] = m.mulShoup(d, inv, invS);
            }
            out[i] = o;
        }
        return out;
    }

    private final Map<SwitchingKey, long[][][]> shoupKeys = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** [2 digit + (0 = b, 1 = a)][prime][coeff] Shoup companions of the key. */
    private long[][][] shoupKey(SwitchingKey key) {
        long[][][] cached = shoupKeys.get(key);
        if (cached != null) return cached;
        int digits = key.b.length, primes = ring.size();
        long[][][] s = new long[2 * digits][primes][];
        for (int i = 0; i < digits; i++) {
            for (int pj = 0; pj < primes; pj++) {
                Modulus m = ring.modulus(pj);
                s[2 * i][pj] = shoupAll(m, key.b[i][pj]);
                s[2 * i + 1][pj] = shoupAll(m, key.a[i][pj]);
            }
        }
        shoupKeys.put(key, s);
        return s;
    }

    private static long[] shoupAll(Modulus m, long[] w) {
        long[] out = new long[w.length];
        for (int j = 0; j < w.length; j++) out[j] = m.shoup(w[j]);
        return out;
    }

    /** Precomputes what {@link #expand} needs for these keys (otherwise done on first use). */
    public void prepare(GaloisKeys keys, int outputs) {
        for (int g : galoisElements(n, outputs)) {
            permutation(g);
            shoupKey(keys.get(g));
        }
    }

    /**
     * NTT index k holds the evaluation at psi^(2 bitrev(k) + 1); (a o X^g)(w) = a(w^g), so output k reads
     * the input index whose exponent is g (2 bitrev(k) + 1) mod 2N.
     */
    int[] permutation(int g) {
        return permutations.computeIfAbsent(g, e -> {
            int[] perm = new int[n];
            int mask = 2 * n - 1;
            for (int k = 0; k < n; k++) {
                long exp = ((2L * bitrev(k) + 1) * e) & mask;
                perm[k] = bitrev((int) ((exp - 1) >> 1));
            }
            return perm;
        });
    }

    private int bitrev(int k) {
        return Integer.reverse(k) >>> (32 - logN);
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
