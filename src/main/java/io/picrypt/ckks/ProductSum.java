package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.Parallel;

import java.util.List;

/**
 * Sums of ciphertext products for many lists sharing one right-hand list: for each list a^(k) of 2-component
 * ciphertexts, the 3-component ciphertext sum_j a^(k)_j (x) b_j (tensor products, not relinearized) at scale
 * scale(a) * scale(b). The 1:N gallery's products (a^(k) = one block's columns, b = the expanded probe) are the
 * one user today, its columns {@link OffHeapCiphertexts} outside the heap; the inner operation is the Karatsuba tensor of {@link Evaluator#multiply} (3 products per
 * coefficient: x0 y0, x1 y1, (x0 + x1)(y0 + y1)).
 *
 * <p>Every a word is read once, in the order it is stored: the off-heap layout is row-major ({@link OffHeapCiphertexts}:
 * the 2 * len words of one coefficient of a list are contiguous), so for one coefficient k the kernel runs over the
 * list's ciphertexts with its three sums in registers, reading a words and the matching b words (each with its
 * Shoup companion, arranged the same way once per call) as two sequential streams. Work is split into tasks of (limb,
 * TILE coefficients, GROUP lists); a task copies ROWS rows of one list at a time (ROWS * 2 * len words, one memcpy of
 * the bytes the products read anyway) into an on-heap scratch array, so the arithmetic loop is a plain array loop, and
 * reuses its tile of b (TILE * len * 6 words, in L2) for every list of its group. Tasks run on the common fork-join
 * pool through {@link Parallel} (sequentially when it is disabled). Each product is a lazy Shoup product in
 * [0, 3q) ({@link Modulus#mulShoupLazy}), summed in 64 bits over {@link #chunkSize} ciphertexts and then reduced once; the
 * multiplication of each product's quotient estimate by 2q is deferred to the end of the chunk (the sum of the products
 * x w and the sum of the estimates are kept apart), so a product costs one low and one high multiplication, the
 * processor's multiplier being what limits the kernel (measured, docs/BENCHMARKS.md round 7). Below
 * {@link #SHOUP_MIN_LISTS} lists the companions would cost more than they save, and each product of reduced values is
 * added to a 128-bit sum in registers instead ({@code accumulateTile}'s other inner loop).
 * Measured against the earlier kernel (tiles of 512 coefficients, 128-bit sums kept in memory): docs/BENCHMARKS.md.
 * Thread-safe (no state).
 */
public final class ProductSum {
    /** Coefficients per task: the task's b tile (TILE * len * 6 words: 192 KiB for 128 ciphertexts) stays in L2. */
    static final int TILE = 32;
    /** Lists per task, which share one b tile. */
    static final int GROUP = 8;
    /** Rows copied at once (ROWS * 2 * len words: 16 KiB for 128 ciphertexts, in L1). */
    static final int ROWS = 8;
    /**
     * Lists from which the Shoup kernel is used. Its companions cost about as much per call as the products of one list
     * (3 per ciphertext and coefficient, ~4 ns each) and save ~15% per product (measured, docs/BENCHMARKS.md round 6):
     * below this many lists the 128-bit kernel, which needs no companions, is faster.
     */
    static final int SHOUP_MIN_LISTS = 16;
    /** Per-thread table of the 128-bit kernel (TILE rows of 3 words per ciphertext: 96 KiB for 128 ciphertexts). */
    private static final ThreadLocal<long[]> SCRATCH = ThreadLocal.withInitial(() -> new long[0]);

    private ProductSum() {}

    /**
     * The sums for every list of {@code as}.
     *
     * @param as lists of 2-component ciphertexts (off the heap), each as long as {@code bs}, all at one level and one scale (relative difference <= 1e-9)
     * @param bs 2-component ciphertexts at the same level, one scale
     * @return one 3-component ciphertext per list, at the common level and scale(a) * scale(b)
     * @throws CkksException if sizes, lengths, levels or scales differ, or a list is empty
     */
    public static Ciphertext[] sums(CkksParameters params, List<OffHeapCiphertexts> as, List<Ciphertext> bs) {
        int len = bs.size();
        if (len == 0 || as.isEmpty()) throw new CkksException("nothing to sum");
        Ciphertext b0 = bs.get(0);
        OffHeapCiphertexts a0 = as.get(0);
        int level = b0.level();
        for (Ciphertext b : bs) check(b.size(), b.level(), b.scale, level, b0.scale);
        for (OffHeapCiphertexts a : as) {
            if (a.count() != len) throw new CkksException("every list must have " + len + " ciphertexts, got " + a.count());
            check(2, a.level(), a.scale(), level, a0.scale());
        }
        int limbs = level + 1, n = params.n(), lists = as.size();
        for (OffHeapCiphertexts a : as) if (a.ringDegree() != n) throw new CkksException("ring degree " + a.ringDegree() + " does not match the parameters");
        for (Ciphertext b : bs) if (b.comps[0][0].length != n) throw new CkksException("ring degree " + b.comps[0][0].length + " does not match the parameters");
        // n is a power of two >= 16 (CkksParameters), so tile divides it
        int tile = Math.min(TILE, n), tiles = n / tile, groups = (lists + GROUP - 1) / GROUP;
        long[][][][] acc = new long[lists][3][limbs][n];
        boolean shoup = lists >= SHOUP_MIN_LISTS;
        long[][][] probe = shoup ? new long[limbs][tiles][] : null;
        // Parallel, not a parallel stream: -Dpicrypt.ckks.parallel=false / Parallel.setEnabled(false) make it single-threaded
        if (shoup) Parallel.forEach(limbs * tiles, task -> {
            int i = task / tiles, t = task % tiles;
            probe[i][t] = probeTile(params.ring().modulus(i), bs, i, t * tile, tile);
        });
        // groups vary fastest: consecutive tasks (on one core) reuse the same b tile from L2
        Parallel.forEach(limbs * tiles * groups, task -> {
            int group = task % groups, t = task / groups % tiles, i = task / (groups * tiles);
            int from = group * GROUP, to = Math.min(lists, from + GROUP);
            long[] pt = shoup ? probe[i][t] : SCRATCH.get();
            if (!shoup) { // few lists: the task fills its own table (no per-call allocation; one group is one use per tile anyway)
                if (pt.length < tile * stride(len, 3)) SCRATCH.set(pt = new long[tile * stride(len, 3)]);
                probeTile128(params.ring().modulus(i), bs, i, t * tile, tile, pt);
            }
            accumulateTile(params.ring().modulus(i), as.subList(from, to), pt, shoup, len, i, t * tile, tile, acc, from);
        });
        Ciphertext[] out = new Ciphertext[lists];
        double scale = a0.scale() * b0.scale;
        for (int k = 0; k < lists; k++) out[k] = new Ciphertext(acc[k], scale);
        return out;
    }

    private static void check(int size, int cLevel, double cScale, int level, double scale) {
        if (size != 2 || cLevel != level) throw new CkksException("product sums need 2-component ciphertexts at level " + level);
        // equal up to rounding: an enrolled column's scale went through a multiply and divide by q1
        if (Math.abs(cScale - scale) > 1e-9 * scale) throw new CkksException("product sums need one scale per side");
    }

    /**
     * Terms of a sum reduced at once for modulus q: each lazy Shoup product is below 3q ({@link Modulus#mulShoupLazy}), so a 64-bit
     * signed sum of floor((2^63 - 1) / 3q) of them stays non-negative. 10 for the gallery's q0 (58 bits), 2 for a
     * 60-bit prime ({@link io.picrypt.ring.Modulus#MAX_BITS}).
     */
    static int chunkSize(long q, int len) {
        return (int) Math.max(1, Math.min(len, Long.MAX_VALUE / (3 * q)));
    }

    /**
     * Limb i of coefficients [k0, k0 + rows) of the right-hand side, arranged as the kernel reads it: for each coefficient,
     * for each ciphertext j, six words: y0, its companion, y1, its companion, y0 + y1 mod q (the Karatsuba operand), its
     * companion.
     */
    private static long[] probeTile(Modulus m, List<Ciphertext> bs, int i, int k0, int rows) {
        int len = bs.size();
        long q = m.value();
        long[] t = new long[rows * stride(len, 6)];
        for (int j = 0; j < len; j++) {
            long[] y0 = bs.get(j).comps[0][i], y1 = bs.get(j).comps[1][i];
            for (int r = 0; r < rows; r++) {
                long a = y0[k0 + r], b = y1[k0 + r], s = a + b >= q ? a + b - q : a + b;
                int x = r * stride(len, 6) + j * 6;
                t[x] = a;
                t[x + 1] = m.shoup63(a);
                t[x + 2] = b;
                t[x + 3] = m.shoup63(b);
                t[x + 4] = s;
                t[x + 5] = m.shoup63(s);
            }
        }
        return t;
    }

    /**
     * out[from + b] on limb i, coefficients [k0, k0 + rows), for the lists of {@code group}: c0 = sum x0 y0, c2 = sum x1 y1,
     * c1 = sum (x0 + x1)(y0 + y1) - c0 - c2 (x0 + x1 < 2q < 2^61). With {@code shoup} (table of {@link #probeTile}) each
     * term is a lazy Shoup product ({@link Modulus#mulShoupLazy}) summed in 64 bits over {@link #chunkSize} terms, as
     * sum(x w) - 2q sum(floor(x ws / 2^64)) with both sums wrapping mod 2^64: the true sum is below 2^63, so the wrapped
     * difference is exact; without
     * (table of {@link #probeTile128}) each product of reduced values is added to an unsigned 128-bit sum in registers
     * (high word with a branch-free carry), reduced every {@link #chunkSize128} terms.
     */
    private static void accumulateTile(Modulus m, List<OffHeapCiphertexts> group, long[] pt, boolean shoup, int len, int i,
                                       int k0, int rows, long[][][][] out, int from) {
        long q = m.value(), q2 = 2 * q;
        int chunkSize = shoup ? chunkSize(q, len) : chunkSize128(q, len), words = shoup ? 6 : 3, batch = Math.min(ROWS, rows);
        long[] xs = new long[batch * 2 * len];
        for (int b = 0; b < group.size(); b++) {
            OffHeapCiphertexts a = group.get(b);
            long[] c0 = out[from + b][0][i], c1 = out[from + b][1][i], c2 = out[from + b][2][i];
            for (int r0 = 0; r0 < rows; r0 += batch) {
                int nr = Math.min(batch, rows - r0);
                a.copyRows(i, k0 + r0, nr, xs);
                for (int r = 0; r < nr; r++) {
                    int xr = r * 2 * len, pr = (r0 + r) * stride(len, words);
                    long s0 = 0, s2 = 0, sk = 0;
                    for (int chunk = 0; chunk < len; chunk += chunkSize) {
                        int end = Math.min(len, chunk + chunkSize), x0 = xr + 2 * chunk, p0 = pr + words * chunk;
                        if (shoup) {
                            // sum of lazy Shoup products x w - floor(x ws / 2^64) 2q with the multiplications by 2q
                            // deferred: sum(x w) - 2q sum(floor(...)) wraps mod 2^64 to the true sum, which is < 2^63
                            long l0 = 0, l2 = 0, lk = 0, h0 = 0, h2 = 0, hk = 0;
                            for (int j = chunk, x = x0, p = p0; j < end; j++, x += 2, p += 6) {
                                long u0 = xs[x], u1 = xs[x + 1], us = u0 + u1;
                                l0 += u0 * pt[p];
                                h0 += Math.multiplyHigh(u0, pt[p + 1]);
                                l2 += u1 * pt[p + 2];
                                h2 += Math.multiplyHigh(u1, pt[p + 3]);
                                lk += us * pt[p + 4];
                                hk += Math.multiplyHigh(us, pt[p + 5]);
                            }
                            // each sum < chunkSize 3q <= 2^63 - 1: non-negative, so reduce's one-word path applies
                            s0 = m.add(s0, m.reduce(l0 - h0 * q2));
                            s2 = m.add(s2, m.reduce(l2 - h2 * q2));
                            sk = m.add(sk, m.reduce(lk - hk * q2));
                        } else {
                            long h0 = 0, l0 = 0, h2 = 0, l2 = 0, hk = 0, lk = 0;
                            for (int j = chunk, x = x0, p = p0; j < end; j++, x += 2, p += 3) {
                                long u0 = xs[x], u1 = xs[x + 1], us = u0 + u1, v0 = pt[p], v1 = pt[p + 1], vs = pt[p + 2];
                                long lo = u0 * v0, t = l0 + lo;
                                h0 += Math.multiplyHigh(u0, v0) + carry(l0, lo, t);
                                l0 = t;
                                lo = u1 * v1;
                                t = l2 + lo;
                                h2 += Math.multiplyHigh(u1, v1) + carry(l2, lo, t);
                                l2 = t;
                                lo = us * vs;
                                t = lk + lo;
                                hk += Math.multiplyHigh(us, vs) + carry(lk, lo, t);
                                lk = t;
                            }
                            // high words < 2^62 by chunkSize128: reduce them first so (hi mod q, lo) meets reduce128's precondition
                            s0 = m.add(s0, m.reduce128(m.reduce(h0), l0));
                            s2 = m.add(s2, m.reduce128(m.reduce(h2), l2));
                            sk = m.add(sk, m.reduce128(m.reduce(hk), lk));
                        }
                    }
                    int k = k0 + r0 + r;
                    c0[k] = s0;
                    c2[k] = s2;
                    c1[k] = m.sub(m.sub(sk, s0), s2);
                }
            }
        }
    }

    /**
     * Row stride of a probe table with {@code words} words per ciphertext: one cache line more than the row, so that a
     * ciphertext's run down the rows (written by {@link #probeTile}) does not map to the same few L1 sets (a row of 128
     * ciphertexts is a multiple of 1 KiB).
     */
    private static int stride(int len, int words) {
        return len * words + 8;
    }

    /** Products of reduced values summed as unsigned 128-bit integers: terms per reduction keeping the high word below 2^62. */
    static int chunkSize128(long q, int len) {
        double hiPerTerm = 4.0 * q * q / 0x1p64 + 2;
        return (int) Math.max(1, Math.min(len, Math.floor(0x1p62 / hiPerTerm)));
    }

    /** {@link #probeTile} for the 128-bit kernel, into t: per coefficient and ciphertext, y0, y1, y0 + y1 mod q (no companions). */
    private static void probeTile128(Modulus m, List<Ciphertext> bs, int i, int k0, int rows, long[] t) {
        int len = bs.size();
        long q = m.value();
        for (int j = 0; j < len; j++) {
            long[] y0 = bs.get(j).comps[0][i], y1 = bs.get(j).comps[1][i];
            for (int r = 0; r < rows; r++) {
                long a = y0[k0 + r], b = y1[k0 + r];
                int x = r * stride(len, 3) + j * 3;
                t[x] = a;
                t[x + 1] = b;
                t[x + 2] = a + b >= q ? a + b - q : a + b;
            }
        }
    }

    /**
     * Carry (0 or 1) of the unsigned addition s = a + b, without a branch (a compare compiles to a branch or a conditional
     * move depending on C2's profile, and the branch mispredicts about half the time on random residues).
     */
    private static long carry(long a, long b, long s) {
        return ((a & b) | ((a | b) & ~s)) >>> 63;
    }
}
