package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.Parallel;

import java.util.List;

/**
 * Sums of ciphertext products for many lists sharing one right-hand list: for each list a^(k) of 2-component
 * ciphertexts, the 3-component ciphertext sum_j a^(k)_j (x) b_j (tensor products, not relinearized) at scale
 * scale(a) * scale(b). The 1:N gallery's products (a^(k) = one block's columns, b = the expanded probe) are the
 * one user today, its columns {@link OffHeapCiphertexts} outside the heap. The tensor is Karatsuba's, as in
 * {@link Evaluator#multiply}: c0 = sum x0 y0, c2 = sum x1 y1, c1 = sum (x0 + x1)(y0 + y1) - c0 - c2.
 *
 * <p>Each of the three inner products over j is computed with Winograd's pairing (S. Winograd, "A new algorithm for
 * inner product", IEEE Trans. Computers C-17, 1968): sum_j x_j y_j = sum_i (x_2i + y_2i+1)(x_2i+1 + y_2i) - A - B with
 * A = sum_i x_2i x_2i+1 (depends on the list only: computed once per list by {@link #prepare} and kept with it) and
 * B = sum_i y_2i y_2i+1 (once per call). That halves the multiplications per list: 3 products per pair of ciphertexts
 * and coefficient instead of 6. Every step is exact arithmetic mod q (coefficient-wise in NTT form), so the sums are
 * word for word those of the evaluator's multiply + add. Before this, the multiplications were what limited the loop;
 * now its additions, shifts and loads weigh as much (docs/BENCHMARKS.md round 7). A product of two factors in [-q, 2q - 2]
 * costs one low and one high multiplication:
 * with s = 63 - bitLength(2q - 2), u (v 2^s) splits as hi 2^64 + lo, so u v = hi 2^(64 - s) + (lo >>> s); the high
 * parts are summed in one word ({@code hiTerms} pairs) and the low parts in another ({@code loTerms} pairs, then their
 * overflow is carried into the high sum), and each sum is reduced mod q once per group of hiTerms pairs (32 at the
 * gallery's q0). The Karatsuba operands x0 + x1 are not reduced (round 8: -7% CPU per product in `KE.java`, 32 blocks,
 * docs/BENCHMARKS.md): the probe's y0 + y1 is arranged lowered by q instead, so those factors lie in [-q, 2q - 2] and
 * their high sum is signed ({@link Split}).
 *
 * <p>Every a word is read once, in the order it is stored: the off-heap layout is row-major ({@link OffHeapCiphertexts}:
 * the 2 * len words of one coefficient of a list are contiguous), so for one coefficient k the kernel runs over the
 * list's ciphertexts with its sums in registers, reading a words and the matching b words (arranged the same way once
 * per call) as two sequential streams. Work is split into tasks of (limb, TILE coefficients, GROUP lists); a task copies
 * ROWS rows of one list at a time (ROWS * 2 * len words, one memcpy of the bytes the products read anyway) into an
 * on-heap scratch array, so the arithmetic loop is a plain array loop, and reuses its tile of b (TILE * len * 3 words,
 * in L2) for every list of its group. Tasks run on the common fork-join pool through {@link Parallel} (sequentially when
 * it is disabled). Thread-safe (no state; the per-list terms are computed once, under the list's lock).
 */
public final class ProductSum {
    /** Coefficients per task: the task's b tile (TILE * (len * 3 + 8) words: 98 KiB for 128 ciphertexts) stays in L2. */
    static final int TILE = 32;
    /** Lists per task, which share one b tile. */
    static final int GROUP = 8;
    /** Rows copied at once (ROWS * 2 * len words: 16 KiB for 128 ciphertexts, in L1). */
    static final int ROWS = 8;
    /**
     * Lists from which Winograd's pairing is used. Its per-call terms B cost about one list's pair products, and each list
     * needs its terms A once; a pair product saves ~15% against two direct products (measured, docs/BENCHMARKS.md round
     * 7). Below this many lists each product is computed directly and added to a 128-bit sum (no A, no B).
     */
    static final int WINOGRAD_MIN_LISTS = 8;

    /** Per-thread probe table of the direct kernel (TILE rows: 98 KiB for 128 ciphertexts). */
    private static final ThreadLocal<long[]> SCRATCH = ThreadLocal.withInitial(() -> new long[0]);

    private ProductSum() {}

    /**
     * The list-only terms A of Winograd's pairing for {@code a} (3 words per limb and coefficient: for x0, for x0 + x1 and
     * for x1), computed if {@code a} does not hold them yet for these moduli, and kept with it ({@link OffHeapCiphertexts}
     * is immutable). Costs half the products of one {@link #sums} over the list (a 128-column gallery block at N = 8192:
     * 9-13 ms median single-threaded, measured under load), needed by sums over {@link #WINOGRAD_MIN_LISTS} or more lists (which compute it if absent); callers
     * that care about the first such sum's latency call it when the list is created.
     *
     * @throws CkksException if the list's ring degree or level does not fit the parameters
     */
    public static void prepare(CkksParameters params, OffHeapCiphertexts a) {
        listTerms(params, a);
    }

    /**
     * {@link #prepare} for every list (one after another, each on all cores), if a sum over {@code as} would use Winograd's pairing (at least
     * {@link #WINOGRAD_MIN_LISTS} lists); otherwise nothing. For a caller that has just loaded many lists and wants the
     * cost there rather than in the first sum.
     */
    public static void prepareAll(CkksParameters params, List<OffHeapCiphertexts> as) {
        if (as.size() < WINOGRAD_MIN_LISTS) return;
        for (OffHeapCiphertexts a : as) prepare(params, a); // each prepare runs its tiles in parallel
    }

    /** Whether {@link #prepare} has run for {@code a} (for its current moduli at the list's level); false if the list does not fit the parameters. */
    public static boolean isPrepared(CkksParameters params, OffHeapCiphertexts a) {
        if (a.level() > params.maxLevel() || a.ringDegree() != params.n()) return false;
        long[] moduli = new long[a.level() + 1];
        for (int i = 0; i < moduli.length; i++) moduli[i] = params.ring().modulus(i).value();
        synchronized (a) {
            return a.pairTerms(moduli) != null;
        }
    }

    private static long[][] listTerms(CkksParameters params, OffHeapCiphertexts a) {
        int limbs = a.level() + 1, n = params.n();
        if (a.ringDegree() != n) throw new CkksException("ring degree " + a.ringDegree() + " does not match the parameters");
        if (a.level() > params.maxLevel()) throw new CkksException("level " + a.level() + " outside the parameters");
        long[] moduli = new long[limbs];
        for (int i = 0; i < limbs; i++) moduli[i] = params.ring().modulus(i).value();
        synchronized (a) {
            long[][] t = a.pairTerms(moduli);
            if (t != null) return t;
            long[][] terms = new long[limbs][3 * n];
            int tile = Math.min(TILE, n), tiles = n / tile, len = a.count();
            // the kernel's loop against an all-zero b: sum_i (x_2i + 0)(x_2i+1 + 0) = A
            Parallel.forEach(limbs * tiles, task -> {
                int i = task / tiles, k0 = task % tiles * tile;
                Modulus m = params.ring().modulus(i);
                Split sp = Split.of(m.value());
                long[] zero = new long[stride(len)]; // every row reads the same zero row (25 MB less per gallery block)
                long[] xs = new long[Math.min(ROWS, tile) * 2 * len];
                for (int r0 = 0; r0 < tile; r0 += ROWS) {
                    int nr = Math.min(ROWS, tile - r0);
                    a.copyRows(i, k0 + r0, nr, xs);
                    for (int r = 0; r < nr; r++) pairSums(m, sp, xs, r * 2 * len, zero, 0, len, terms[i], 3 * (k0 + r0 + r));
                }
            });
            a.setPairTerms(moduli, terms);
            return terms;
        }
    }

    /**
     * The sums for every list of {@code as}.
     *
     * @param as lists of 2-component ciphertexts (off the heap), each as long as {@code bs}, all at one level and one scale (relative difference <= 1e-9)
     * @param bs 2-component ciphertexts at the same level, one scale
     * @return one 3-component ciphertext per list, at the common level and scale(a) * scale(b)
     * @throws CkksException if sizes, lengths, levels or scales differ, or a list is empty
     */
    public static Ciphertext[] sums(CkksParameters params, List<OffHeapCiphertexts> as, List<Ciphertext> bs) {
        return sums(params, as, bs, null);
    }

    /**
     * {@link #sums(CkksParameters, List, List)} into caller-provided arrays (SEAL-style destination variant, so that a
     * caller that answers many identifies reuses them instead of allocating 3 * N words per list each time: 96 MB at a
     * million gallery identities). Every word of dest[k][c][i] (k < lists, c < 3, i <= level) is overwritten; the
     * returned ciphertexts wrap those arrays, so they are valid until the caller reuses them.
     *
     * @param dest null (fresh arrays) or one long[3][level + 1][N] per list
     * @throws CkksException as {@link #sums(CkksParameters, List, List)}, or if dest has another shape
     */
    public static Ciphertext[] sums(CkksParameters params, List<OffHeapCiphertexts> as, List<Ciphertext> bs, long[][][][] dest) {
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
        // checked here, not inside the tasks: a level past the data primes (or a ragged ciphertext) must be a CkksException
        if (level > params.maxLevel()) throw new CkksException("level " + level + " outside the parameters (at most " + params.maxLevel() + ")");
        for (OffHeapCiphertexts a : as) if (a.ringDegree() != n) throw new CkksException("ring degree " + a.ringDegree() + " does not match the parameters");
        for (Ciphertext b : bs) for (int c = 0; c < 2; c++) {
            if (b.comps[c].length != limbs) throw new CkksException("product sums need 2-component ciphertexts at level " + level);
            for (long[] limb : b.comps[c]) if (limb.length != n) throw new CkksException("ring degree " + limb.length + " does not match the parameters");
        }
        boolean winograd = lists >= WINOGRAD_MIN_LISTS;
        long[][][] listTerms = new long[lists][][];
        if (winograd) for (int k = 0; k < lists; k++) listTerms[k] = listTerms(params, as.get(k));
        // n is a power of two >= 16 (CkksParameters), so tile divides it
        int tile = Math.min(TILE, n), tiles = n / tile, groups = (lists + GROUP - 1) / GROUP;
        long[][][][] acc = dest != null ? checkedDest(dest, lists, limbs, n) : new long[lists][3][limbs][n];
        long[][][] probe = winograd ? new long[limbs][tiles][] : null;
        long[][][] probeTerms = winograd ? new long[limbs][tiles][] : null;
        // Parallel, not a parallel stream: -Dpicrypt.ckks.parallel=false / Parallel.setEnabled(false) make it single-threaded
        if (winograd) Parallel.forEach(limbs * tiles, task -> {
            int i = task / tiles, t = task % tiles;
            probeTile(params.ring().modulus(i), bs, i, t * tile, tile, probe[i][t] = new long[tile * stride(len)], true);
            probeTerms[i][t] = probeTerms(params.ring().modulus(i), probe[i][t], tile, len);
        });
        // groups vary fastest: consecutive tasks (on one core) reuse the same b tile from L2
        Parallel.forEach(limbs * tiles * groups, task -> {
            int group = task % groups, t = task / groups % tiles, i = task / (groups * tiles);
            int from = group * GROUP, to = Math.min(lists, from + GROUP);
            Modulus m = params.ring().modulus(i);
            if (winograd) {
                accumulateTile(m, as.subList(from, to), listTerms, probe[i][t], probeTerms[i][t], len, i, t * tile, tile, acc, from);
            } else { // few lists: the task fills its own table (no per-call allocation; one group is one use per tile anyway)
                long[] pt = SCRATCH.get();
                if (pt.length < tile * stride(len)) SCRATCH.set(pt = new long[tile * stride(len)]);
                probeTile(m, bs, i, t * tile, tile, pt, false);
                accumulateTile(m, as.subList(from, to), null, pt, null, len, i, t * tile, tile, acc, from);
            }
        });
        Ciphertext[] out = new Ciphertext[lists];
        double scale = a0.scale() * b0.scale;
        for (int k = 0; k < lists; k++) out[k] = new Ciphertext(acc[k], scale);
        return out;
    }

    private static long[][][][] checkedDest(long[][][][] dest, int lists, int limbs, int n) {
        if (dest.length != lists) throw new CkksException("destination for " + dest.length + " lists, not " + lists);
        for (long[][][] d : dest) {
            if (d == null || d.length != 3) throw new CkksException("destination lists need 3 components");
            for (long[][] c : d) {
                if (c == null || c.length != limbs) throw new CkksException("destination components need " + limbs + " limbs");
                for (long[] limb : c) if (limb == null || limb.length != n) throw new CkksException("destination limbs need " + n + " words");
            }
        }
        return dest;
    }

    private static void check(int size, int cLevel, double cScale, int level, double scale) {
        if (size != 2 || cLevel != level) throw new CkksException("product sums need 2-component ciphertexts at level " + level);
        // equal up to rounding: an enrolled column's scale went through a multiply and divide by q1
        if (Math.abs(cScale - scale) > 1e-9 * scale) throw new CkksException("product sums need one scale per side");
    }

    /**
     * Limb i of coefficients [k0, k0 + rows) of the right-hand side, arranged as the kernel reads it: for each coefficient,
     * for each ciphertext j, three words: y0, y1 and y0 + y1 mod q (the Karatsuba operand); rows {@link #stride} apart.
     * With {@code lowered} (Winograd's kernel) the Karatsuba operand is stored minus q, in [-q, 0): {@link #pairSums} then
     * adds it to the list's unreduced x0 + x1 in [0, 2q - 2] and the factor stays within [-q, 2q - 2] (no reduction).
     */
    private static void probeTile(Modulus m, List<Ciphertext> bs, int i, int k0, int rows, long[] t, boolean lowered) {
        int len = bs.size();
        long q = m.value();
        for (int j = 0; j < len; j++) {
            long[] y0 = bs.get(j).comps[0][i], y1 = bs.get(j).comps[1][i];
            for (int r = 0; r < rows; r++) {
                long a = y0[k0 + r], b = y1[k0 + r];
                int x = r * stride(len) + j * 3;
                t[x] = a;
                t[x + 1] = b;
                long sum = a + b >= q ? a + b - q : a + b;
                t[x + 2] = lowered ? sum - q : sum;
            }
        }
    }

    /** The right-hand side's terms B of Winograd's pairing for a probe tile: per row, for y0, y0 + y1 and y1 (the order of {@link #pairSums}). */
    private static long[] probeTerms(Modulus m, long[] tile, int rows, int len) {
        long[] out = new long[3 * rows], zero = new long[2 * len];
        Split sp = Split.of(m.value());
        // the kernel's loop against an all-zero list row: sum_i (0 + y_2i+1)(0 + y_2i) = B
        for (int r = 0; r < rows; r++) pairSums(m, sp, zero, 0, tile, r * stride(len), len, out, 3 * r);
        return out;
    }

    /**
     * out[from + b] on limb i, coefficients [k0, k0 + rows), for the lists of {@code group}: per row the three inner
     * products sum x0 y0, sum (x0 + x1)(y0 + y1), sum x1 y1, then c0, c1 = the middle one - c0 - c2, c2. With
     * {@code listTerms} (Winograd): each inner product is W - A - B from the row's pair sums ({@link #pairSums}), the
     * list's terms A and the probe's B ({@code pterms}); without: every product computed directly ({@link #directSums}).
     */
    private static void accumulateTile(Modulus m, List<OffHeapCiphertexts> group, long[][][] listTerms, long[] pt, long[] pterms,
                                       int len, int i, int k0, int rows, long[][][][] out, int from) {
        int batch = Math.min(ROWS, rows), chunk128 = chunkSize128(m.value(), len);
        long[] xs = new long[batch * 2 * len], w = new long[3];
        Split sp = Split.of(m.value());
        for (int b = 0; b < group.size(); b++) {
            OffHeapCiphertexts a = group.get(b);
            long[] lt = listTerms == null ? null : listTerms[from + b][i];
            long[] c0 = out[from + b][0][i], c1 = out[from + b][1][i], c2 = out[from + b][2][i];
            for (int r0 = 0; r0 < rows; r0 += batch) {
                int nr = Math.min(batch, rows - r0);
                a.copyRows(i, k0 + r0, nr, xs);
                for (int r = 0; r < nr; r++) {
                    int k = k0 + r0 + r, row = r0 + r;
                    if (lt != null) {
                        pairSums(m, sp, xs, r * 2 * len, pt, row * stride(len), len, w, 0);
                        for (int c = 0; c < 3; c++) w[c] = m.sub(m.sub(w[c], lt[3 * k + c]), pterms[3 * row + c]);
                    } else {
                        directSums(m, chunk128, xs, r * 2 * len, pt, row * stride(len), len, w);
                    }
                    c0[k] = w[0];
                    c2[k] = w[2];
                    c1[k] = m.sub(m.sub(w[1], w[0]), w[2]);
                }
            }
        }
    }

    /**
     * The three inner products of one row with every product computed directly (for few lists, where Winograd's per-call
     * terms would cost more than they save), into out[0..2] in {@link #pairSums}' order: sum x0 y0, sum (x0 + x1)(y0 + y1)
     * (x0 + x1 < 2q unreduced), sum x1 y1. Each product of reduced values is added to an unsigned 128-bit sum in
     * registers (high word with a branch-free carry), reduced every {@code chunkSize} ({@link #chunkSize128}) terms.
     */
    private static void directSums(Modulus m, int chunkSize, long[] xs, int xr, long[] pt, int pr, int len, long[] out) {
        long s0 = 0, s2 = 0, sk = 0;
        for (int chunk = 0; chunk < len; chunk += chunkSize) {
            int end = Math.min(len, chunk + chunkSize);
            long h0 = 0, l0 = 0, h2 = 0, l2 = 0, hk = 0, lk = 0;
            for (int j = chunk, x = xr + 2 * chunk, p = pr + 3 * chunk; j < end; j++, x += 2, p += 3) {
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
        out[0] = s0;
        out[1] = sk;
        out[2] = s2;
    }

    /** Products of reduced values (one factor below 2q) summed as unsigned 128-bit integers: terms per reduction keeping the high word below 2^62. */
    static int chunkSize128(long q, int len) {
        double hiPerTerm = 4.0 * q * q / 0x1p64 + 2;
        return (int) Math.max(1, Math.min(len, Math.floor(0x1p62 / hiPerTerm)));
    }

    /**
     * Carry (0 or 1) of the unsigned addition s = a + b, without a branch (a compare compiles to a branch or a conditional
     * move depending on C2's profile, and the branch mispredicts about half the time on random residues).
     */
    private static long carry(long a, long b, long s) {
        return ((a & b) | ((a | b) & ~s)) >>> 63;
    }

    /**
     * Winograd's pair sums of one row, into out[o], out[o + 1], out[o + 2], each mod q: with x = the list's row at xs[xr]
     * (x0_j, x1_j at xr + 2j, xr + 2j + 1) and y = the probe row at pt[pr] (y0_j, y1_j, (y0_j + y1_j mod q) - q at
     * pr + 3j, as {@link #probeTile} arranges it), sum_i (u_2i + v_2i+1)(u_2i+1 + v_2i) for (u, v) = (x0, y0),
     * (x0 + x1 unreduced, y0 + y1 - q), (x1, y1), plus, for an odd length, the last term's plain product u v: factors in
     * [0, 2q - 2], the Karatsuba ones in [-q, 2q - 2] ({@link Split}). With y = 0 this is the list's own term A (the zero
     * row's 0 stands where a lowered word would be -q: both are 0 mod q), with x = 0 the probe's term B.
     */
    static void pairSums(Modulus m, Split sp, long[] xs, int xr, long[] pt, int pr, int len, long[] out, int o) {
        long q = m.value();
        int s = sp.shift, down = 64 - s, pairs = len / 2;
        long mask = (1L << down) - 1;
        long r0 = 0, r1 = 0, r2 = 0;
        for (int g0 = 0; g0 < pairs; g0 += sp.hiTerms) {
            int gEnd = Math.min(pairs, g0 + sp.hiTerms);
            long h0 = 0, h1 = 0, h2 = 0, l0 = 0, l1 = 0, l2 = 0;
            for (int c0 = g0; c0 < gEnd; c0 += sp.loTerms) {
                int cEnd = Math.min(gEnd, c0 + sp.loTerms);
                for (int i = c0, x = xr + 4 * c0, p = pr + 6 * c0; i < cEnd; i++, x += 4, p += 6) {
                    long x0a = xs[x], x1a = xs[x + 1], x0b = xs[x + 2], x1b = xs[x + 3];
                    long y0a = pt[p], y1a = pt[p + 1], ysa = pt[p + 2], y0b = pt[p + 3], y1b = pt[p + 4], ysb = pt[p + 5];
                    long sa = x0a + x1a, sb = x0b + x1b; // the Karatsuba operands, unreduced: ys* are lowered by q (probeTile)
                    long u = x0a + y0b, v = (x0b + y0a) << s;
                    h0 += Math.multiplyHigh(u, v);
                    l0 += (u * v) >>> s;
                    u = sa + ysb;
                    v = (sb + ysa) << s;
                    h1 += Math.multiplyHigh(u, v);
                    l1 += (u * v) >>> s;
                    u = x1a + y1b;
                    v = (x1b + y1a) << s;
                    h2 += Math.multiplyHigh(u, v);
                    l2 += (u * v) >>> s;
                }
                // carry the low sums' overflow (< loTerms + 1) into the high sums; keep their low bits
                h0 += l0 >>> down;
                h1 += l1 >>> down;
                h2 += l2 >>> down;
                l0 &= mask;
                l1 &= mask;
                l2 &= mask;
            }
            r0 = m.add(r0, sp.value(m, h0, l0));
            r1 = m.add(r1, sp.valueSigned(m, h1, l1));
            r2 = m.add(r2, sp.value(m, h2, l2));
        }
        if ((len & 1) == 1) {
            int x = xr + 2 * (len - 1), p = pr + 3 * (len - 1);
            long x0 = xs[x], x1 = xs[x + 1], ys = pt[p + 2];
            ys += (ys >> 63) & q; // the lowered Karatsuba operand back in [0, q)
            r0 = m.add(r0, m.mul(x0, pt[p]));
            r1 = m.add(r1, m.mul(m.add(x0, x1), ys));
            r2 = m.add(r2, m.mul(x1, pt[p + 1]));
        }
        out[o] = r0;
        out[o + 1] = r1;
        out[o + 2] = r2;
    }

    /**
     * The split of pair products for modulus q. The outer products' factors are sums of two reduced values, in
     * [0, 2q - 2]; the Karatsuba product's are an unreduced x0 + x1 in [0, 2q - 2] plus a probe word lowered by q
     * ({@link #probeTile}), in [-q, 2q - 2]. Either way |v| 2^shift < 2^63 and u (v 2^shift) is an exact signed 128-bit
     * product; a product contributes hi = floor(u v / 2^(64 - shift)) to the high sum (in [0, hiMax] for the outer
     * products, in [hiMin, hiMax] for the Karatsuba one) and lo = u v mod 2^(64 - shift) < 2^(64 - shift) to the low sum.
     * loTerms: pairs whose low parts, plus a carried remainder below 2^(64 - shift), stay below 2^64 (the low sum is
     * unsigned too: only shifted and masked);
     * hiTerms: pairs whose high parts and carries (< 1 per pair) stay within [-2^63, 2^63) as signed sums (the Karatsuba
     * product), which keeps the outer products' unsigned sums below 2^64 too.
     * For the gallery's q0 (58 bits): shift 4, loTerms 15, hiTerms 32.
     */
    record Split(int shift, int loTerms, int hiTerms, long r, long rShoup, long negCorrection) {
        private static final java.util.concurrent.ConcurrentHashMap<Long, Split> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

        static Split of(long q) {
            Split sp = CACHE.get(q);
            return sp != null ? sp : CACHE.computeIfAbsent(q, Split::compute);
        }

        private static Split compute(long q) {
            java.math.BigInteger bq = java.math.BigInteger.valueOf(q), top = java.math.BigInteger.valueOf(2 * q - 2);
            int shift = 63 - top.bitLength();
            int down = 64 - shift;
            long loTerms = Math.max(1, Math.min(1 << 20, (1L << shift) - 1));
            java.math.BigInteger hiMax = top.multiply(top).shiftRight(down); // floor: the largest high part
            java.math.BigInteger hiMin = bq.negate().multiply(top).shiftRight(down); // floor of the most negative product
            java.math.BigInteger two63 = java.math.BigInteger.ONE.shiftLeft(63), cap = java.math.BigInteger.valueOf(1 << 20);
            // signed sums (the Karatsuba product): g (hiMax + 1) - 1 <= 2^63 - 1 and g hiMin >= -2^63; the first also keeps
            // the outer products' unsigned sums below 2^64
            java.math.BigInteger signedUp = two63.divide(hiMax.add(java.math.BigInteger.ONE));
            java.math.BigInteger signedDown = two63.divide(hiMin.negate());
            long hiTerms = signedUp.min(signedDown).min(cap).longValueExact();
            Modulus m = new Modulus(q);
            java.math.BigInteger two = java.math.BigInteger.ONE.shiftLeft(down);
            long r = two.mod(bq).longValueExact();
            long neg = bq.subtract(java.math.BigInteger.ONE.shiftLeft(64).multiply(two).mod(bq)).longValueExact();
            return new Split(shift, (int) loTerms, (int) Math.max(1, hiTerms), r, m.shoup(r), neg);
        }

        /** (h 2^(64 - shift) + l) mod q for an unsigned h and 0 <= l < 2^(64 - shift) ({@link Modulus#mulShoup} takes any unsigned h). */
        long value(Modulus m, long h, long l) {
            return m.add(m.mulShoup(h, r, rShoup), m.reduce(l));
        }

        /**
         * The same for a signed h: read as unsigned it is h + 2^64 when negative, so subtract 2^64 2^(64 - shift) mod q,
         * i.e. add negCorrection = q - (2^(128 - shift) mod q), in [1, q - 1] (q odd: never 0 mod q), without a branch.
         */
        long valueSigned(Modulus m, long h, long l) {
            return m.add(value(m, h, l), (h >> 63) & negCorrection);
        }
    }

    /**
     * Row stride of a probe table (3 words per ciphertext): one cache line more than the row, so that a ciphertext's run
     * down the rows (written by {@link #probeTile}) does not map to the same few L1 sets.
     */
    static int stride(int len) {
        return len * 3 + 8;
    }
}
