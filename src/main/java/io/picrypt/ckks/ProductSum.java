package io.picrypt.ckks;

import io.picrypt.ring.Modulus;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Sums of ciphertext products for many lists sharing one right-hand list: for each list a^(k) of 2-component
 * ciphertexts, the 3-component ciphertext sum_j a^(k)_j (x) b_j (tensor products, not relinearized) at scale
 * scale(a) * scale(b). The 1:N gallery's products (a^(k) = one block's columns, b = the expanded probe) are the
 * one user today, its columns {@link OffHeapCiphertexts} outside the heap; the inner operation is the Karatsuba tensor of {@link Evaluator#multiply} (3 products per
 * coefficient: x0 y0, x1 y1, (x0 + x1)(y0 + y1)).
 *
 * <p>Memory-bound by design: every a coefficient is read once. Work is split into tasks of (limb, tile of TILE
 * coefficients, group of GROUP lists), so the b tile is read once per group and the 128-bit accumulators (GROUP * 6 *
 * TILE longs, plus GROUP * 3 * TILE reduced) stay in L2 while the a data streams from memory; tasks run on all cores.
 * The a tiles of two columns (both components, contiguous in the off-heap layout) are first copied into a 16 KiB
 * on-heap scratch array (a memcpy of the bytes the products read anyway), so the arithmetic loop is a plain array loop.
 * Products are summed lazily as unsigned 128-bit integers over {@link #chunkSize} terms (every column at once for
 * the gallery's q0), then reduced once and added into a reduced accumulator.
 * Thread-safe (no state).
 */
public final class ProductSum {
    static final int TILE = OffHeapCiphertexts.TILE, GROUP = 8;
    /**
     * Runs ahead (in copy order: the group's lists, then the next two columns) whose words the products touch, one per
     * half cache line, while they work on the current run: a prefetch by load (Java has no prefetch instruction), so
     * the run's DRAM misses overlap with arithmetic instead of stalling its copy. Measured in-process, A/B interleaved
     * (process CPU per multiply-add, 100k identities, load 12-15): p25 3.63-3.70 ns with 1-3 runs ahead vs 4.15 without;
     * at 1M, one pair of fresh processes (near-quiet): products 2.75 s vs 3.19 s (docs/BENCHMARKS.md, round 5).
     */
    static final int AHEAD = 2;
    /** Where the touched words go, so that the loads are not removed as dead code. */
    static volatile long sink;

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
        int n0 = a0.ringDegree();
        for (OffHeapCiphertexts a : as) if (a.ringDegree() != n0) throw new CkksException("lists of different ring degrees");
        if (n0 != n || TILE > n || n % TILE != 0) throw new CkksException("ring degree " + n0 + " does not match the parameters");
        long[][][][] acc = new long[lists][3][limbs][n];
        int tiles = n / TILE, groups = (lists + GROUP - 1) / GROUP;
        IntStream.range(0, limbs * tiles * groups).parallel().forEach(task -> {
            int i = task % limbs, tile = task / limbs % tiles, group = task / (limbs * tiles);
            int from = group * GROUP, to = Math.min(lists, from + GROUP);
            accumulateTile(params.ring().modulus(i), as.subList(from, to), bs, i, tile * TILE, acc, from);
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
     * Terms of a sum reduced at once for modulus q: each product of two operands below 2q is below 4q^2, so the high
     * word of the 128-bit sum grows by less than 4q^2 / 2^64 + 1 per term and must stay below 2^62 ({@link
     * Modulus#reduce} then makes it fit {@link Modulus#reduce128}). 256 for the gallery's 58-bit q0 (all 128 columns
     * in one chunk: one reduction per coefficient instead of eight), 16 for a 60-bit prime.
     */
    static int chunkSize(long q, int len) {
        double hiPerTerm = 4.0 * q * q / 0x1p64 + 2;
        return (int) Math.max(1, Math.min(len, Math.floor(0x1p62 / hiPerTerm)));
    }

    /** out[from + k] on one limb and tile for the lists of {@code group}: c0 = sum x0 y0, c2 = sum x1 y1, c1 = sum (x0+x1)(y0+y1) - c0 - c2. */
    private static void accumulateTile(Modulus m, List<OffHeapCiphertexts> group, List<Ciphertext> bs, int limb, int off, long[][][][] out, int from) {
        int g = group.size(), len = bs.size();
        long q = m.value();
        int chunkSize = chunkSize(q, len);
        long[] acc = new long[g * 6 * TILE]; // per list: aHi, aLo, bHi, bLo, kHi, kLo
        long[] red = new long[g * 3 * TILE]; // per list: c0, c2, k reduced
        long[] xs = new long[4 * TILE]; // a tiles copied from off-heap: c0, c1 of column j, c0, c1 of column j + 1
        long touched = 0;
        for (int chunk = 0; chunk < len; chunk += chunkSize) {
            int chunkEnd = Math.min(len, chunk + chunkSize);
            int j = chunk;
            // two columns per pass: the 128-bit accumulators (in L1/L2) are loaded and stored once per two products
            for (; j + 1 < chunkEnd; j += 2) {
                long[] y0 = bs.get(j).comps[0][limb], y1 = bs.get(j).comps[1][limb];
                long[] z0 = bs.get(j + 1).comps[0][limb], z1 = bs.get(j + 1).comps[1][limb];
                for (int b = 0; b < g; b++) {
                    group.get(b).copyTiles(j, 2, limb, off / TILE, xs);
                    int base = b * 6 * TILE;
                    // the run copied AHEAD runs later (a later list's same columns, or a first list's next two)
                    int nb = b + AHEAD, nj = j;
                    if (nb >= g) { nb -= g; nj += 2; }
                    OffHeapCiphertexts next = nb < g && nj + 1 < chunkEnd ? group.get(nb) : null;
                    int nextOff = next == null ? 0 : next.tileOffset(nj, limb, off / TILE);
                    if (next == null) next = group.get(b); // nothing ahead: touch this run's first words again (L1)
                    for (int t = 0; t < TILE; t++) {
                        touched += next.word(nextOff + 4 * t);
                        int k = off + t, a = base + t;
                        long u0 = xs[t], u1 = xs[TILE + t], v0 = y0[k], v1 = y1[k];
                        long r0 = xs[2 * TILE + t], r1 = xs[3 * TILE + t], s0 = z0[k], s1 = z1[k];
                        long p = u0 * v0, q2 = r0 * s0, l0 = acc[a + TILE], lo = l0 + p, lo2 = lo + q2;
                        acc[a] += Math.multiplyHigh(u0, v0) + Math.multiplyHigh(r0, s0) + carry(l0, p, lo) + carry(lo, q2, lo2);
                        acc[a + TILE] = lo2;
                        p = u1 * v1;
                        q2 = r1 * s1;
                        l0 = acc[a + 3 * TILE];
                        lo = l0 + p;
                        lo2 = lo + q2;
                        acc[a + 2 * TILE] += Math.multiplyHigh(u1, v1) + Math.multiplyHigh(r1, s1) + carry(l0, p, lo) + carry(lo, q2, lo2);
                        acc[a + 3 * TILE] = lo2;
                        long us = u0 + u1, vs = v0 + v1, rs = r0 + r1, ss = s0 + s1;
                        p = us * vs;
                        q2 = rs * ss;
                        l0 = acc[a + 5 * TILE];
                        lo = l0 + p;
                        lo2 = lo + q2;
                        acc[a + 4 * TILE] += Math.multiplyHigh(us, vs) + Math.multiplyHigh(rs, ss) + carry(l0, p, lo) + carry(lo, q2, lo2);
                        acc[a + 5 * TILE] = lo2;
                    }
                }
            }
            for (; j < chunkEnd; j++) {
                long[] y0 = bs.get(j).comps[0][limb], y1 = bs.get(j).comps[1][limb];
                for (int b = 0; b < g; b++) {
                    group.get(b).copyTiles(j, 1, limb, off / TILE, xs);
                    int base = b * 6 * TILE;
                    for (int t = 0; t < TILE; t++) {
                        int k = off + t;
                        long u0 = xs[t], u1 = xs[TILE + t], v0 = y0[k], v1 = y1[k];
                        int a = base + t;
                        long lo = u0 * v0, l0 = acc[a + TILE], s = l0 + lo;
                        acc[a] += Math.multiplyHigh(u0, v0) + carry(l0, lo, s);
                        acc[a + TILE] = s;
                        lo = u1 * v1;
                        l0 = acc[a + 3 * TILE];
                        s = l0 + lo;
                        acc[a + 2 * TILE] += Math.multiplyHigh(u1, v1) + carry(l0, lo, s);
                        acc[a + 3 * TILE] = s;
                        long us = u0 + u1, vs = v0 + v1;
                        lo = us * vs;
                        l0 = acc[a + 5 * TILE];
                        s = l0 + lo;
                        acc[a + 4 * TILE] += Math.multiplyHigh(us, vs) + carry(l0, lo, s);
                        acc[a + 5 * TILE] = s;
                    }
                }
            }
            for (int b = 0; b < g; b++) {
                int base = b * 6 * TILE, rb = b * 3 * TILE;
                for (int t = 0; t < TILE; t++) {
                    for (int w = 0; w < 3; w++) {
                        int a = base + 2 * w * TILE + t;
                        // hi < 2^62 by chunkSize: reduce it first so that (hi mod q, lo) meets reduce128's precondition
                        long r = red[rb + w * TILE + t] + m.reduce128(m.reduce(acc[a]), acc[a + TILE]);
                        red[rb + w * TILE + t] = r >= q ? r - q : r;
                        acc[a] = 0;
                        acc[a + TILE] = 0;
                    }
                }
            }
        }
        sink = touched;
        for (int b = 0; b < g; b++) {
            long[] c0 = out[from + b][0][limb], c1 = out[from + b][1][limb], c2 = out[from + b][2][limb];
            int rb = b * 3 * TILE;
            for (int t = 0; t < TILE; t++) {
                long r0 = red[rb + t], r2 = red[rb + TILE + t], rk = red[rb + 2 * TILE + t];
                c0[off + t] = r0;
                c2[off + t] = r2;
                c1[off + t] = m.sub(m.sub(rk, r0), r2);
            }
        }
    }

    /**
     * Carry (0 or 1) of the unsigned addition s = a + b, without a branch: an unsigned compare here is compiled to a
     * conditional move or to a branch depending on the profile C2 saw, and the branch mispredicts about half the time
     * on random residues (measured: the product phase ran 2.7x slower in CPU after an identify recompiled it).
     */
    private static long carry(long a, long b, long s) {
        return ((a & b) | ((a | b) & ~s)) >>> 63;
    }
}
