package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.Primes;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The arithmetic bounds of {@link ProductSum}'s Winograd kernel ({@link ProductSum#pairSums}, {@link ProductSum.Split})
 * and of its direct 128-bit kernel ({@link ProductSum#chunkSize128}), for every modulus the class accepts: odd q in
 * [3, 2^60) ({@link Modulus#MAX_BITS}). The proof, with b = bitLength(2q - 2) in [3, 61], s = 63 - b in [2, 60], d = 64 - s = b + 1:
 * (1) every factor is in [-q, 2q - 2] (see 4b), so |factor| <= 2q - 2 < 2^b, and shifted by s it is within (-2^63, 2^63);
 * (2) |u (v 2^s)| < 2^124 is exact as a signed 128-bit product, hi = floor(u v / 2^d), lo = u v mod 2^d (floor: lo >= 0);
 * (3) a low sum (unsigned: only shifted and masked) holds a carried remainder below 2^d plus loTerms <= 2^s - 1
 * parts below 2^d: at most 2^s (2^d - 1) = 2^64 - 2^s;
 * (4) a high sum over g <= hiTerms pairs is sum hi + C with carries C <= g - 1 (the low parts sum below g 2^d), so
 * below g (hiMax + 1) <= 2^64 - 1; (4b) the Karatsuba product's factors lie in [-q, 2q - 2] (the probe's word lowered
 * by q), so its high sum is signed: g hiMin >= -2^63 and g (hiMax + 1) - 1 < 2^63 (hiTerms >= 8 since hiMax < 2^60);
 * (5) Split.value: reduce() is exact for any unsigned word, Shoup by r = 2^d mod q for a reduced operand, l < 2^62;
 * valueSigned adds q - 2^(64 + d) mod q when h < 0 (read as unsigned, h is h + 2^64).
 * The bounds depend on q only through b and hiMax (monotone in q), so each bit class is checked at both ends, plus
 * every odd q up to 2001 and random odd q; the kernels are checked against BigInteger, exhaustively over small q.
 */
class ProductSumBoundsTest {
    private static final BigInteger TWO64 = BigInteger.ONE.shiftLeft(64);

    /** Both ends of every class of bitLength(2q - 2) (3..61), every odd q <= 2001, the presets' primes, random odd q. */
    static List<Long> everyClass() {
        List<Long> qs = new ArrayList<>();
        for (int b = 3; b <= 61; b++) {
            qs.add((1L << (b - 2)) + 1);                                        // smallest odd q with bitLength(2q - 2) = b
            qs.add(b == 61 ? (1L << 60) - 1 : (1L << (b - 1)) - 1);             // largest odd q of the class (< 2^60)
        }
        for (long q = 3; q <= 2001; q += 2) qs.add(q);
        qs.add(288230376150876161L);                                            // the gallery's q0
        for (long q : Primes.forBitSizes(1 << 15, new int[]{60, 60, 59, 58, 50, 40, 30})) qs.add(q);
        SplittableRandom r = new SplittableRandom(23);
        for (int k = 0; k < 2000; k++) qs.add(r.nextLong(3, 1L << 60) | 1);
        for (int k = 0; k < 200; k++) qs.add(r.nextLong(1L << 59, 1L << 60) | 1); // the tightest class (shift 2)
        return qs;
    }

    @Test
    void splitBoundsHoldForEveryModulusClass() {
        BigInteger maxLong = BigInteger.valueOf(Long.MAX_VALUE);
        for (long q : everyClass()) {
            ProductSum.Split sp = ProductSum.Split.of(q);
            BigInteger bq = BigInteger.valueOf(q), top = bq.shiftLeft(1).subtract(BigInteger.TWO);
            int s = sp.shift(), d = 64 - s;
            String at = "q " + q;
            assertTrue(s >= 2 && s <= 60, "shift " + s + " at " + at);
            // (1) the largest factor, shifted, is a non-negative long; one more bit would not be
            assertTrue(top.shiftLeft(s).compareTo(maxLong) <= 0, "shifted factor at " + at);
            assertTrue(top.shiftLeft(s + 1).compareTo(maxLong) > 0, "shift is the largest that fits at " + at);
            // (2) the 128-bit product of the two largest factors stays below 2^126 (exact signed high word)
            assertTrue(top.multiply(top.shiftLeft(s)).bitLength() <= 126, "product at " + at);
            // (3) low sums (unsigned): a remainder < 2^d plus loTerms parts < 2^d, each at most 2^d - 1
            BigInteger lowMax = BigInteger.ONE.shiftLeft(d).subtract(BigInteger.ONE).multiply(BigInteger.valueOf(sp.loTerms() + 1L));
            assertTrue(sp.loTerms() >= 1 && lowMax.compareTo(TWO64) < 0, "low sums at " + at);
            // (4) high sums: g pairs give at most g hiMax + g - 1 (carries); g = hiTerms must fit 64 unsigned bits
            BigInteger hiMax = top.multiply(top).shiftRight(d);
            BigInteger highMax = hiMax.add(BigInteger.ONE).multiply(BigInteger.valueOf(sp.hiTerms())).subtract(BigInteger.ONE);
            assertTrue(sp.hiTerms() >= 8 && highMax.compareTo(TWO64) < 0, "high sums at " + at + ": hiTerms " + sp.hiTerms());
            // (4b) the Karatsuba high sum is signed: factors in [-q, 2q - 2], so g hiMin >= -2^63 and g hiMax + g - 1 < 2^63
            BigInteger hiMin = bq.negate().multiply(top).shiftRight(d), g = BigInteger.valueOf(sp.hiTerms());
            assertTrue(hiMin.multiply(g).compareTo(BigInteger.ONE.shiftLeft(63).negate()) >= 0, "signed high sums (down) at " + at);
            assertTrue(highMax.compareTo(maxLong) <= 0, "signed high sums (up) at " + at);
            assertTrue(bq.shiftLeft(s).compareTo(maxLong) <= 0, "a factor of -q, shifted, at " + at);
            // the constant of valueSigned(): q - 2^(64 + d) mod q, in [1, q - 1]
            assertEquals(bq.subtract(BigInteger.ONE.shiftLeft(64 + d).mod(bq)).longValueExact(), sp.negCorrection(), at);
            // (5) the constant of value(): r = 2^d mod q, with its Shoup companion
            assertEquals(BigInteger.ONE.shiftLeft(d).mod(bq).longValueExact(), sp.r(), at);
            assertEquals(BigInteger.valueOf(sp.r()).shiftLeft(64).divide(bq).longValue(), sp.rShoup(), at);
            // the direct kernel: (2q - 2)(q - 1) products, one carry each, chunkSize128 terms keep the high word < 2^62
            int chunk = ProductSum.chunkSize128(q, 1 << 24);
            BigInteger directHi = top.multiply(bq.subtract(BigInteger.ONE)).shiftRight(64).add(BigInteger.ONE);
            assertTrue(chunk >= 1 && directHi.multiply(BigInteger.valueOf(chunk)).compareTo(BigInteger.ONE.shiftLeft(62)) < 0, "direct chunk at " + at);
            assertEquals(1, ProductSum.chunkSize128(q, 1), "a chunk never exceeds the length");
        }
    }

    /** For every odd q <= 101: every pair of factors in [0, 2q - 2] splits exactly; value() is exact for every l < 2^d. */
    @Test
    void splitIsExactExhaustivelyForSmallModuli() {
        SplittableRandom r = new SplittableRandom(29);
        for (long q = 3; q <= 101; q += 2) {
            ProductSum.Split sp = ProductSum.Split.of(q);
            Modulus m = new Modulus(q);
            int s = sp.shift(), d = 64 - s;
            long top = 2 * q - 2, hiMax = top * top >>> d, hiMin = Math.floorDiv(-q * top, 1L << d);
            // the Karatsuba factors reach down to -q (a lowered probe word), the outer ones start at 0
            for (long u = -q; u <= top; u++) for (long v = -q; v <= top; v++) {
                long vs = v << s, hi = Math.multiplyHigh(u, vs), lo = (u * vs) >>> s;
                if ((vs < 0) != (v < 0) || lo >= 1L << d || hi < (u < 0 || v < 0 ? hiMin : 0) || hi > hiMax || (hi << d) + lo != u * v) {
                    fail("q " + q + " u " + u + " v " + v + ": hi " + hi + " lo " + lo);
                }
            }
            long[] hs = {0, 1, 2, q - 1, q, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, r.nextLong(), r.nextLong(), r.nextLong()};
            BigInteger bq = BigInteger.valueOf(q), two = BigInteger.ONE.shiftLeft(d);
            for (long h : hs) for (long l = 0; l < 1L << d; l++) {
                long want = new BigInteger(Long.toUnsignedString(h)).multiply(two).add(BigInteger.valueOf(l)).mod(bq).longValueExact();
                if (sp.value(m, h, l) != want) fail("value at q " + q + " h " + Long.toUnsignedString(h) + " l " + l);
                long wantSigned = BigInteger.valueOf(h).multiply(two).add(BigInteger.valueOf(l)).mod(bq).longValueExact();
                if (sp.valueSigned(m, h, l) != wantSigned) fail("valueSigned at q " + q + " h " + h + " l " + l);
            }
        }
    }

    /** At large q: the split of the largest factors and value() at the edges of h and l (BigInteger). */
    @Test
    void splitIsExactAtLargeModuli() {
        SplittableRandom r = new SplittableRandom(31);
        for (long q : everyClass()) {
            if (q < 1L << 20) continue;
            ProductSum.Split sp = ProductSum.Split.of(q);
            Modulus m = new Modulus(q);
            int s = sp.shift(), d = 64 - s;
            BigInteger bq = BigInteger.valueOf(q), two = BigInteger.ONE.shiftLeft(d);
            long top = 2 * q - 2;
            for (long u : new long[]{top, top - 1, q, q - 1, 1, 0, -1, -q, r.nextLong(top + 1), -r.nextLong(q + 1)})
                for (long v : new long[]{top, top - 1, q - 1, 1, 0, -1, -q, r.nextLong(top + 1), -r.nextLong(q + 1)}) {
                long hi = Math.multiplyHigh(u, v << s), lo = (u * (v << s)) >>> s;
                BigInteger uv = BigInteger.valueOf(u).multiply(BigInteger.valueOf(v));
                assertEquals(uv, BigInteger.valueOf(hi).shiftLeft(d).add(BigInteger.valueOf(lo)), "q " + q + " u " + u + " v " + v);
                assertTrue(lo >= 0 && lo < 1L << d);
            }
            for (long h : new long[]{0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, q, r.nextLong()}) {
                for (long l : new long[]{0, 1, q - 1, q, (1L << d) - 1, r.nextLong(1L << d)}) {
                    long want = new BigInteger(Long.toUnsignedString(h)).multiply(two).add(BigInteger.valueOf(l)).mod(bq).longValueExact();
                    assertEquals(want, sp.value(m, h, l), "value at q " + q + " h " + Long.toUnsignedString(h) + " l " + l);
                    long wantSigned = BigInteger.valueOf(h).multiply(two).add(BigInteger.valueOf(l)).mod(bq).longValueExact();
                    assertEquals(wantSigned, sp.valueSigned(m, h, l), "valueSigned at q " + q + " h " + h + " l " + l);
                }
            }
        }
    }

    // ---------------------------------------------------------------- the whole pair-sum accumulation

    /** Operand patterns: all q - 1, all 0, alternating (both phases), uniform, the top 2^20 values, and q - 1 - k with k chosen per q (carry-heavy). */
    private static long[] pattern(int kind, long q, int len, SplittableRandom r, long k) {
        long[] w = new long[len];
        for (int j = 0; j < len; j++) {
            w[j] = switch (kind) {
                case 0 -> q - 1;
                case 1 -> 0;
                case 2 -> j % 2 == 0 ? q - 1 : 0;
                case 3 -> r.nextLong(q);
                case 4 -> q - 1 - r.nextLong(Math.min(q, 1 << 20));
                case 6 -> j % 2 == 0 ? 0 : q - 1;
                default -> j % 2 == 0 ? q - 1 - Math.min(k, q - 1) : q - 1;
            };
        }
        return w;
    }

    /** sum_i (u_2i + v_2i+1)(u_2i+1 + v_2i) (+ u v of an odd last term) mod q, for (x0, y0), (x0 + x1, y0 + y1), (x1, y1). */
    private static long[] reference(long q, long[] x0, long[] x1, long[] y0, long[] y1) {
        int len = x0.length;
        long[] xs = new long[len], ys = new long[len];
        for (int j = 0; j < len; j++) {
            xs[j] = (x0[j] + x1[j]) % q;
            ys[j] = (y0[j] + y1[j]) % q;
        }
        long[][] us = {x0, xs, x1}, vs = {y0, ys, y1};
        long[] out = new long[3];
        for (int t = 0; t < 3; t++) {
            BigInteger sum = BigInteger.ZERO;
            for (int i = 0; 2 * i + 1 < len; i++) {
                sum = sum.add(BigInteger.valueOf(us[t][2 * i] + vs[t][2 * i + 1]).multiply(BigInteger.valueOf(us[t][2 * i + 1] + vs[t][2 * i])));
            }
            if (len % 2 == 1) sum = sum.add(BigInteger.valueOf(us[t][len - 1]).multiply(BigInteger.valueOf(vs[t][len - 1])));
            out[t] = sum.mod(BigInteger.valueOf(q)).longValueExact();
        }
        return out;
    }

    /** sum_j u_j v_j mod q (the inner product Winograd's terms give back). */
    private static long dot(long q, long[] u, long[] v) {
        BigInteger sum = BigInteger.ZERO;
        for (int j = 0; j < u.length; j++) sum = sum.add(BigInteger.valueOf(u[j]).multiply(BigInteger.valueOf(v[j])));
        return sum.mod(BigInteger.valueOf(q)).longValueExact();
    }

    /**
     * {@link ProductSum#pairSums} of one row (placed after a decoy row, so offsets matter) against BigInteger, and
     * W - A - B (A, B from zero rows, as the kernel computes them) against the plain inner products.
     */
    private static void checkRow(long q, List<ProductSum.Split> splits, long[] x0, long[] x1, long[] y0, long[] y1, String what) {
        Modulus m = new Modulus(q);
        int len = x0.length, st = ProductSum.stride(len);
        long[] xs = new long[4 * len], pt = new long[2 * st], zx = new long[2 * len], zp = new long[st];
        java.util.Arrays.fill(xs, 0, 2 * len, q - 1); // decoy row
        java.util.Arrays.fill(pt, 0, st, q - 1);
        for (int j = 0; j < len; j++) {
            xs[2 * len + 2 * j] = x0[j];
            xs[2 * len + 2 * j + 1] = x1[j];
            pt[st + 3 * j] = y0[j];
            pt[st + 3 * j + 1] = y1[j];
            pt[st + 3 * j + 2] = (y0[j] + y1[j]) % q - q; // lowered by q, as probeTile writes it for this kernel
        }
        long[] want = reference(q, x0, x1, y0, y1);
        long[] xsum = new long[len], ysum = new long[len];
        for (int j = 0; j < len; j++) {
            xsum[j] = (x0[j] + x1[j]) % q;
            ysum[j] = (y0[j] + y1[j]) % q;
        }
        long[] dots = {dot(q, x0, y0), dot(q, xsum, ysum), dot(q, x1, y1)};
        for (ProductSum.Split sp : splits) {
            long[] w = new long[5], a = new long[3], b = new long[3];
            ProductSum.pairSums(m, sp, xs, 2 * len, pt, st, len, w, 2);
            for (int t = 0; t < 3; t++) if (w[2 + t] != want[t]) fail("pair sum " + t + " " + what + " split " + sp + ": " + w[2 + t] + " != " + want[t]);
            ProductSum.pairSums(m, sp, xs, 2 * len, zp, 0, len, a, 0); // A: the list's own terms
            ProductSum.pairSums(m, sp, zx, 0, pt, st, len, b, 0);      // B: the probe's terms
            for (int t = 0; t < 3; t++) {
                long got = m.sub(m.sub(w[2 + t], a[t]), b[t]);
                if (got != dots[t]) fail("W - A - B " + t + " " + what + " split " + sp + ": " + got + " != " + dots[t]);
            }
        }
    }

    /** The kernel's own split and shrunken ones (1-3 pairs per low sum, 1-7 per high sum): every partial chunk and group. */
    private static List<ProductSum.Split> splits(long q) {
        ProductSum.Split sp = ProductSum.Split.of(q);
        List<ProductSum.Split> out = new ArrayList<>(List.of(sp));
        for (int[] lh : new int[][]{{1, 1}, {1, 2}, {2, 3}, {3, 7}}) {
            if (lh[0] <= sp.loTerms() && lh[1] <= sp.hiTerms()) out.add(new ProductSum.Split(sp.shift(), lh[0], lh[1], sp.r(), sp.rShoup(), sp.negCorrection()));
        }
        return out;
    }

    /** Every odd q <= 101, lengths 1-17 and 33, every pattern on all four operands and mixed patterns. */
    @Test
    void pairSumsEqualBigIntegerForEverySmallModulus() {
        SplittableRandom r = new SplittableRandom(37);
        int[] lengths = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 33};
        for (long q = 3; q <= 101; q += 2) {
            List<ProductSum.Split> splits = splits(q);
            for (int len : lengths) {
                List<int[]> kinds = new ArrayList<>();
                for (int k = 0; k < 7; k++) kinds.add(new int[]{k, k, k, k});
                kinds.add(new int[]{2, 2, 6, 1}); // the most negative Karatsuba products: (2q - 3)(-q) in every pair
                for (int k = 0; k < 12; k++) kinds.add(new int[]{r.nextInt(7), r.nextInt(7), r.nextInt(7), r.nextInt(7)});
                for (int[] kd : kinds) {
                    long k = r.nextLong(q);
                    long[] x0 = pattern(kd[0], q, len, r, k), x1 = pattern(kd[1], q, len, r, k), y0 = pattern(kd[2], q, len, r, k), y1 = pattern(kd[3], q, len, r, k);
                    checkRow(q, splits, x0, x1, y0, y1, "q " + q + " len " + len + " kinds " + java.util.Arrays.toString(kd));
                }
            }
        }
    }

    /**
     * Large q (60-bit primes, 2^60 - 1, both ends of the shift-2 and shift-3 classes, q0, random odd q) with worst-case
     * operands, at lengths around the low and high sums' sizes (partial chunks and groups, exactly full ones, more pairs
     * than hiTerms) and 1, 2, odd lengths.
     */
    @Test
    void pairSumsEqualBigIntegerAtLargeModuliAndWorstOperands() {
        SplittableRandom r = new SplittableRandom(41);
        List<Long> qs = new ArrayList<>(List.of((1L << 60) - 1, (1L << 60) - 3, (1L << 59) + 1, (1L << 59) - 1, (1L << 58) + 1,
                288230376150876161L, (1L << 40) + 1, (1L << 30) - 1));
        for (long q : Primes.forBitSizes(1 << 15, new int[]{60, 60, 59, 58, 50})) qs.add(q);
        for (int k = 0; k < 12; k++) qs.add(r.nextLong(3, 1L << 60) | 1);
        for (int k = 0; k < 6; k++) qs.add(r.nextLong(1L << 59, 1L << 60) | 1);
        for (long q : qs) {
            ProductSum.Split sp = ProductSum.Split.of(q);
            List<ProductSum.Split> splits = splits(q);
            int lo = sp.loTerms(), hi = Math.min(sp.hiTerms(), 200);
            // the offset k whose product top (top - k) leaves the largest low part: the most carries at nearly the largest high parts
            long top = 2 * q - 2, bestK = 0, bestLo = -1;
            for (long k = 0; k < 256 && k < q; k++) {
                long l = (top * (top - k)) & ((1L << (64 - sp.shift())) - 1);
                if (l > bestLo) { bestLo = l; bestK = k; }
            }
            java.util.TreeSet<Integer> lengths = new java.util.TreeSet<>(List.of(1, 2, 3, 4, 5, 7));
            for (int base : new int[]{2 * lo, 2 * hi, 4 * hi, 2 * hi + 2 * lo, 6 * hi}) {
                for (int dl = -2; dl <= 3; dl++) if (base + dl >= 1 && base + dl <= 1300) lengths.add(base + dl);
            }
            for (int len : lengths) {
                // kinds {0, 0, 5, 5}: y = q - 1 - k on even j, q - 1 on odd j, so each pair product is top (top - k), the most carries
                List<int[]> kinds = new ArrayList<>(List.of(new int[]{0, 0, 0, 0}, new int[]{5, 0, 5, 0}, new int[]{0, 5, 0, 5},
                        new int[]{0, 0, 5, 5}, new int[]{0, 5, 5, 0}, new int[]{4, 4, 4, 4}, new int[]{3, 3, 3, 3}, new int[]{0, 0, 3, 3},
                        new int[]{2, 0, 0, 2}, new int[]{2, 2, 6, 1}, new int[]{6, 6, 2, 1}));
                for (int[] kd : kinds) {
                    long[] x0 = pattern(kd[0], q, len, r, bestK), x1 = pattern(kd[1], q, len, r, bestK);
                    long[] y0 = pattern(kd[2], q, len, r, bestK), y1 = pattern(kd[3], q, len, r, bestK);
                    checkRow(q, splits, x0, x1, y0, y1, "q " + q + " len " + len + " kinds " + java.util.Arrays.toString(kd));
                }
            }
        }
    }
}
