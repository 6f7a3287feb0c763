package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.Primes;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ProductSum#pairSums} with the kernel's own split over full groups of hiTerms pairs, for every modulus class
 * whose group sums come within a factor 2 of the signed bound 2^63 (hiTerms (hiMax + 1) >= 2^62), including those with
 * hundreds to 2^20 pairs per group that {@link ProductSumBoundsTest} checks only through its bounds (its kernel runs stop
 * at 200 pairs per group). Operands repeat with period 2, so every pair product is equal and the reference is closed
 * form: the high sums reach their extremes (the list's term A at (2q - 2)^2 per pair, the most negative Karatsuba
 * product (2q - 3)(-q) per pair, the carry-heaviest low parts), over one full group plus an odd tail and over two full
 * groups plus a third ending mid-chunk.
 */
class ProductSumFullGroupsTest {
    private static final BigInteger TWO62 = BigInteger.ONE.shiftLeft(62);

    @Test
    void fullGroupsAtTheirBoundsMatchTheClosedForm() {
        List<Long> qs = new ArrayList<>();
        for (int b = 3; b <= 61; b++) {
            qs.add((1L << (b - 2)) + 1);
            qs.add(b == 61 ? (1L << 60) - 1 : (1L << (b - 1)) - 1);
        }
        qs.add(288230376150876161L);
        for (long q : Primes.forBitSizes(1 << 15, new int[]{60, 59, 58, 50, 45, 44, 43})) qs.add(q);
        int tested = 0;
        for (long q : qs) {
            ProductSum.Split sp = ProductSum.Split.of(q);
            BigInteger top = BigInteger.valueOf(2 * q - 2);
            BigInteger hiMax = top.multiply(top).shiftRight(64 - sp.shift());
            if (hiMax.add(BigInteger.ONE).multiply(BigInteger.valueOf(sp.hiTerms())).compareTo(TWO62) < 0) continue; // far from 2^63
            tested++;
            int g = sp.hiTerms(), lo = sp.loTerms();
            TreeSet<Integer> lengths = new TreeSet<>(List.of(2 * g, 2 * g + 1));
            if (g <= 1 << 16) lengths.add(4 * g + 2 * (lo / 2) + 3); // two full groups, then a group ending mid-chunk, odd tail
            long bestK = carryHeaviest(q, sp);
            long t = q - 1, k = q - 1 - bestK;
            // per operand {even j, odd j}: x0, x1, y0, y1
            long[][][] kinds = {
                    {{t, t}, {t, t}, {t, t}, {t, t}},     // A: (2q - 2)^2 per pair, W's Karatsuba (2q - 4)^2
                    {{t, t}, {t, t}, {t, t}, {0, 0}},     // W's Karatsuba: (2q - 3)^2 per pair
                    {{t, 0}, {t, 0}, {0, t}, {0, 0}},     // W's Karatsuba: (2q - 3)(-q) per pair, the most negative
                    {{0, t}, {0, t}, {t, 0}, {0, 0}},     // the same, factors swapped
                    {{0, 0}, {0, 0}, {0, 0}, {0, 0}},     // B's Karatsuba: (-q)(-q)
                    {{t, t}, {t, t}, {k, t}, {k, t}},     // the most carries at nearly the largest high parts
            };
            for (int len : lengths) for (long[][] kind : kinds) check(q, sp, len, kind);
        }
        assertTrue(tested >= 20, "classes near the signed bound: " + tested);
    }

    /** The offset k whose product top (top - k) leaves the largest low part (as in ProductSumBoundsTest). */
    private static long carryHeaviest(long q, ProductSum.Split sp) {
        long top = 2 * q - 2, best = 0, bestLo = -1;
        for (long k = 0; k < 256 && k < q; k++) {
            long l = (top * (top - k)) & ((1L << (64 - sp.shift())) - 1);
            if (l > bestLo) { bestLo = l; best = k; }
        }
        return best;
    }

    private static void check(long q, ProductSum.Split sp, int len, long[][] kind) {
        Modulus m = new Modulus(q);
        BigInteger bq = BigInteger.valueOf(q);
        int st = ProductSum.stride(len);
        long[] xs = new long[2 * len], pt = new long[st], zx = new long[2 * len], zp = new long[st];
        for (int j = 0; j < len; j++) {
            long x0 = kind[0][j & 1], x1 = kind[1][j & 1], y0 = kind[2][j & 1], y1 = kind[3][j & 1];
            xs[2 * j] = x0;
            xs[2 * j + 1] = x1;
            pt[3 * j] = y0;
            pt[3 * j + 1] = y1;
            pt[3 * j + 2] = (y0 + y1) % q - q; // lowered, as probeTile writes it for Winograd's kernel
        }
        long[] w = new long[3], a = new long[3], b = new long[3];
        ProductSum.pairSums(m, sp, xs, 0, pt, 0, len, w, 0);
        ProductSum.pairSums(m, sp, xs, 0, zp, 0, len, a, 0);
        ProductSum.pairSums(m, sp, zx, 0, pt, 0, len, b, 0);
        BigInteger pairs = BigInteger.valueOf(len / 2), evens = BigInteger.valueOf((len + 1) / 2);
        String at = "q " + q + " len " + len + " hiTerms " + sp.hiTerms() + " kind " + java.util.Arrays.deepToString(kind);
        for (int c = 0; c < 3; c++) {
            // c: x0 y0, (x0 + x1)(y0 + y1), x1 y1 (any representatives: the sums are checked mod q)
            BigInteger ue = u(kind, c, 0), uo = u(kind, c, 1), ve = v(kind, c, 0), vo = v(kind, c, 1);
            BigInteger tail = len % 2 == 1 ? ue.multiply(ve) : BigInteger.ZERO;
            long wantW = pairs.multiply(ue.add(vo).multiply(uo.add(ve))).add(tail).mod(bq).longValueExact();
            long wantA = pairs.multiply(ue.multiply(uo)).mod(bq).longValueExact();
            long wantB = pairs.multiply(ve.multiply(vo)).mod(bq).longValueExact();
            long dot = evens.multiply(ue.multiply(ve)).add(pairs.multiply(uo.multiply(vo))).mod(bq).longValueExact();
            assertEquals(wantW, w[c], "W " + c + " at " + at);
            assertEquals(wantA, a[c], "A " + c + " at " + at);
            assertEquals(wantB, b[c], "B " + c + " at " + at);
            assertEquals(dot, m.sub(m.sub(w[c], a[c]), b[c]), "W - A - B " + c + " at " + at);
        }
    }

    private static BigInteger u(long[][] kind, int c, int parity) {
        return BigInteger.valueOf(c == 0 ? kind[0][parity] : c == 2 ? kind[1][parity] : kind[0][parity] + kind[1][parity]);
    }

    private static BigInteger v(long[][] kind, int c, int parity) {
        return BigInteger.valueOf(c == 0 ? kind[2][parity] : c == 2 ? kind[3][parity] : kind[2][parity] + kind[3][parity]);
    }
}
