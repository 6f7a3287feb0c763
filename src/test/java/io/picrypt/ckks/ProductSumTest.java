package io.picrypt.ckks;

import io.picrypt.ring.Primes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class ProductSumTest {
    static final CkksParameters P = CkksParameters.of(8192, Primes.forBitSizes(8192, new int[]{58, 50, 60}), true, 0x1p28, false);

    /** The kernel equals the evaluator's multiply + add, word for word, at both levels (Winograd's pairing over three groups of lists at level 0, direct products at level 1). */
    @Test
    void equalsTheEvaluatorsTensorSumExactly() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        Encoder enc = new Encoder(P);
        Encryptor en = new Encryptor(P);
        Evaluator ev = new Evaluator(P);
        SplittableRandom r = new SplittableRandom(3);
        for (int level = 0; level <= 1; level++) {
            // 37 ciphertexts: 18 pairs (two chunks of low sums at q0, 15 pairs and 3) and an odd last one;
            // level 0: Winograd's pairing, three groups of lists; level 1: direct products (fewer lists)
            int len = 37, lists = level == 0 ? 2 * ProductSum.GROUP + 1 : ProductSum.WINOGRAD_MIN_LISTS - 1;
            List<Ciphertext> bs = new ArrayList<>();
            List<Ciphertext[]> as = new ArrayList<>();
            for (int j = 0; j < len; j++) bs.add(en.encryptSymmetric(enc.encodeCoefficients(random(r), 0x1p20, level), sk));
            for (int k = 0; k < lists; k++) {
                Ciphertext[] a = new Ciphertext[len];
                for (int j = 0; j < len; j++) a[j] = en.encryptSymmetric(enc.encodeCoefficients(random(r), 0x1p20, level), sk);
                as.add(a);
            }
            Ciphertext[] got = ProductSum.sums(P, as.stream().map(OffHeapCiphertexts::of).toList(), bs);
            for (int k = 0; k < lists; k++) {
                Ciphertext want = ev.multiply(as.get(k)[0], bs.get(0));
                for (int j = 1; j < len; j++) want = ev.add(want, ev.multiply(as.get(k)[j], bs.get(j)));
                assertEquals(3, got[k].size());
                assertEquals(level, got[k].level());
                assertEquals(want.scale(), got[k].scale());
                for (int c = 0; c < 3; c++) for (int i = 0; i <= level; i++) {
                    assertArrayEquals(want.component(c)[i], got[k].component(c)[i], "list " + k + " component " + c + " limb " + i);
                }
            }
        }
    }

    /**
     * Largest operands (every word q - 1, so every factor of a pair product is 2q - 2) where the split's sums are tightest:
     * at a 60-bit prime (shift 2: three pairs per low sum, two groups of high sums over 20 pairs) and at the gallery's q0 over
     * 64 pairs (two groups of 32, the signed Karatsuba sum's bound) and an odd last ciphertext (129).
     */
    @Test
    void largestOperandsAtTheBoundsOfTheSplit() {
        CkksParameters p60 = CkksParameters.of(1024, Primes.forBitSizes(1024, new int[]{60, 60, 60}), true, 0x1p30, true);
        long q = p60.ring().modulus(0).value(), q0 = P.ring().modulus(0).value();
        ProductSum.Split s60 = ProductSum.Split.of(q), s0 = ProductSum.Split.of(q0);
        assertEquals(2, s60.shift());
        assertEquals(3, s60.loTerms());
        assertTrue(s60.hiTerms() < 20, "two groups of high sums over 20 pairs: " + s60.hiTerms());
        assertEquals(4, s0.shift());
        assertEquals(15, s0.loTerms());
        assertEquals(32, s0.hiTerms()); // the Karatsuba high sum is signed since round 8: 2^63 / 2^58
        for (int lists : new int[]{3, 2 * ProductSum.GROUP + 1}) largestOperands(p60, lists, 41, 1024);
        largestOperands(P, ProductSum.WINOGRAD_MIN_LISTS, 129, 8192);
    }

    private static void largestOperands(CkksParameters p60, int lists, int len, int n) {
        Evaluator ev = new Evaluator(p60);
        List<Ciphertext> bs = new ArrayList<>();
        List<Ciphertext[]> as = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(5);
        for (int j = 0; j < len; j++) bs.add(filled(p60, j % 3 == 0 ? -1 : r.nextLong(), n));
        // at N = 8192 the lists after the first two repeat them (memory), the same off-heap object included
        int distinct = n >= 8192 ? 2 : lists;
        for (int k = 0; k < distinct; k++) {
            Ciphertext[] a = new Ciphertext[len];
            for (int j = 0; j < len; j++) a[j] = filled(p60, k == 0 ? -1 : r.nextLong(), n);
            as.add(a);
        }
        List<OffHeapCiphertexts> off = new ArrayList<>(as.stream().map(OffHeapCiphertexts::of).toList());
        while (off.size() < lists) off.add(off.get(off.size() % distinct));
        Ciphertext[] got = ProductSum.sums(p60, off, bs);
        assertEquals(lists, got.length);
        for (int k = distinct; k < lists; k++) for (int c = 0; c < 3; c++) assertArrayEquals(got[k % distinct].component(c)[0], got[k].component(c)[0]);
        for (int k = 0; k < as.size(); k++) {
            Ciphertext want = ev.multiply(as.get(k)[0], bs.get(0));
            for (int j = 1; j < len; j++) want = ev.add(want, ev.multiply(as.get(k)[j], bs.get(j)));
            for (int c = 0; c < 3; c++) for (int i = 0; i <= 1; i++) {
                assertArrayEquals(want.component(c)[i], got[k].component(c)[i], "list " + k + " component " + c + " limb " + i);
            }
        }
    }

    /** The Shoup companion without division equals floor(w 2^63 / q) at the edges and at random w; lazy products are in [0, 3q). */
    @Test
    void shoupCompanionsAreExactAndLazyProductsInRange() {
        SplittableRandom r = new SplittableRandom(11);
        for (long q : new long[]{P.ring().modulus(0).value(), P.ring().modulus(1).value(), Primes.forBitSizes(1024, new int[]{60})[0], 3, 5}) {
            io.picrypt.ring.Modulus m = new io.picrypt.ring.Modulus(q);
            for (int k = 0; k < 2000; k++) {
                long w = k < 3 ? new long[]{0, 1, q - 1}[k] : r.nextLong(q);
                long want = java.math.BigInteger.valueOf(w).shiftLeft(63).divide(java.math.BigInteger.valueOf(q)).longValueExact();
                assertEquals(want, m.shoup63(w), "q " + q + " w " + w);
                long x = k % 2 == 0 ? 2 * q - 2 : r.nextLong(2 * q);
                long lazy = io.picrypt.ring.Modulus.mulShoupLazy(x, w, want, 2 * q);
                assertTrue(lazy >= 0 && lazy < 3 * q, "lazy product out of [0, 3q)");
                assertEquals(java.math.BigInteger.valueOf(x).multiply(java.math.BigInteger.valueOf(w)).mod(java.math.BigInteger.valueOf(q)).longValue(), lazy % q);
            }
        }
    }

    /**
     * Edge shapes against the evaluator's multiply + add, word for word, threaded and single-threaded: ring degree 16 (below
     * TILE, two batches of ROWS) and 64 (two tiles), three limbs of 60-bit primes (chunks of 2 terms), one list of one
     * ciphertext, GROUP + 3 lists (a partial group), lengths 1, 2, 3 and 7 (partial last chunk), every word q - 1.
     */
    @Test
    void edgeShapesEqualTheEvaluatorWordForWord() {
        boolean was = io.picrypt.ring.Parallel.enabled();
        try {
            for (int n : new int[]{16, 64}) {
                CkksParameters p = CkksParameters.of(n, Primes.forBitSizes(n, new int[]{60, 60, 60, 60}), true, 0x1p30, true);
                assertEquals(2, ProductSum.Split.of(p.ring().modulus(2).value()).shift());
                Evaluator ev = new Evaluator(p);
                SplittableRandom r = new SplittableRandom(n);
                int[][] shapes = {{1, 1}, {1, 2}, {ProductSum.GROUP + 3, 3}, {2, 7}, {2 * ProductSum.GROUP + 1, 4},
                        {ProductSum.WINOGRAD_MIN_LISTS, 1}, {ProductSum.WINOGRAD_MIN_LISTS - 1, 2}}; // {lists, length}: both kernels, no pair, odd lengths
                for (int[] shape : shapes) for (int level : new int[]{0, 2}) for (boolean extreme : new boolean[]{true, false}) {
                    int lists = shape[0], len = shape[1];
                    List<Ciphertext> bs = new ArrayList<>();
                    List<Ciphertext[]> as = new ArrayList<>();
                    for (int j = 0; j < len; j++) bs.add(words(p, level, extreme ? -1 : r.nextLong()));
                    for (int k = 0; k < lists; k++) {
                        Ciphertext[] a = new Ciphertext[len];
                        for (int j = 0; j < len; j++) a[j] = words(p, level, extreme ? -1 : r.nextLong());
                        as.add(a);
                    }
                    List<OffHeapCiphertexts> off = as.stream().map(OffHeapCiphertexts::of).toList();
                    for (boolean parallel : new boolean[]{true, false}) {
                        io.picrypt.ring.Parallel.setEnabled(parallel);
                        Ciphertext[] got = ProductSum.sums(p, off, bs);
                        assertEquals(lists, got.length);
                        for (int k = 0; k < lists; k++) {
                            Ciphertext want = ev.multiply(as.get(k)[0], bs.get(0));
                            for (int j = 1; j < len; j++) want = ev.add(want, ev.multiply(as.get(k)[j], bs.get(j)));
                            assertEquals(3, got[k].size());
                            assertEquals(level, got[k].level());
                            for (int c = 0; c < 3; c++) for (int i = 0; i <= level; i++) {
                                assertArrayEquals(want.component(c)[i], got[k].component(c)[i], "n " + n + " shape " + lists + "x" + len
                                        + " level " + level + " extreme " + extreme + " parallel " + parallel + " list " + k + " component " + c + " limb " + i);
                            }
                        }
                    }
                }
            }
        } finally {
            io.picrypt.ring.Parallel.setEnabled(was);
        }
    }

    /**
     * The arithmetic bounds the kernel relies on. lazy: exhaustively for every odd q <= 151, w < q, x < 2q; at large q
     * (60-bit primes, odd q up to 2^60 - 1, random odd q) for the worst companions (w 2^63 = -1 mod q, so the dropped
     * fraction of floor(w 2^63 / q) is largest) and x = 2q - 1, 2q - 2: in [0, 3q) and = x w mod q (BigInteger).
     * ProductSum's split of pair products: its sums stay within their words and reduce exactly; shoup63 equals floor(w 2^63 / q) there;
     * also at random w for 10,000 random odd q.
     */
    @Test
    void lazyProductChunkAndCompanionBoundsHold() {
        for (long q = 3; q <= 151; q += 2) {
            io.picrypt.ring.Modulus m = new io.picrypt.ring.Modulus(q);
            for (long w = 0; w < q; w++) {
                long ws = m.shoup63(w);
                assertEquals(w * Long.divideUnsigned(Long.MIN_VALUE, q) + w * Long.remainderUnsigned(Long.MIN_VALUE, q) / q, ws, "q " + q + " w " + w);
                for (long x = 0; x < 2 * q; x++) {
                    long v = io.picrypt.ring.Modulus.mulShoupLazy(x, w, ws, 2 * q);
                    if (v < 0 || v >= 3 * q || v % q != x * w % q) fail("q " + q + " w " + w + " x " + x + ": " + v);
                }
            }
        }
        SplittableRandom r = new SplittableRandom(17);
        List<Long> qs = new ArrayList<>(List.of((1L << 60) - 1, (1L << 60) - 3, (1L << 59) + 1, 3L << 58 | 1, 288230376150876161L));
        for (long q : Primes.forBitSizes(1 << 15, new int[]{60, 60, 59, 58, 50, 40, 30})) qs.add(q);
        for (int k = 0; k < 40; k++) qs.add(r.nextLong(3, 1L << 60) | 1);
        java.math.BigInteger two63 = java.math.BigInteger.ONE.shiftLeft(63), max = java.math.BigInteger.valueOf(Long.MAX_VALUE);
        for (long q : qs) {
            java.math.BigInteger bq = java.math.BigInteger.valueOf(q);
            io.picrypt.ring.Modulus m = new io.picrypt.ring.Modulus(q);
            // the split of pair products: the largest factor shifted stays a non-negative long; the low sums (with a
            // carried remainder) stay below 2^64 and the high sums with carries below 2^64; value() reduces exactly
            ProductSum.Split sp = ProductSum.Split.of(q);
            java.math.BigInteger top = bq.shiftLeft(1).subtract(java.math.BigInteger.TWO), down = java.math.BigInteger.ONE.shiftLeft(64 - sp.shift());
            assertTrue(top.shiftLeft(sp.shift()).compareTo(max) <= 0, "shifted factor at q " + q);
            assertTrue(down.multiply(java.math.BigInteger.valueOf(sp.loTerms() + 1L)).compareTo(two63.shiftLeft(1)) <= 0, "low sums at q " + q);
            java.math.BigInteger hiMax = top.multiply(top).divide(down);
            assertTrue(hiMax.add(java.math.BigInteger.ONE).multiply(java.math.BigInteger.valueOf(sp.hiTerms())).compareTo(java.math.BigInteger.ONE.shiftLeft(64)) < 0, "high sums at q " + q);
            for (long h : new long[]{0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, r.nextLong()}) for (long l : new long[]{0, 1, down.longValue() - 1, r.nextLong(down.longValue())}) {
                java.math.BigInteger want = new java.math.BigInteger(Long.toUnsignedString(h)).multiply(down).add(java.math.BigInteger.valueOf(l)).mod(bq);
                assertEquals(want.longValue(), sp.value(m, h, l), "value at q " + q + " h " + h + " l " + l);
            }
            long worstW = bq.subtract(two63.mod(bq).modInverse(bq)).mod(bq).longValue(); // w 2^63 = -1 mod q
            for (long w : new long[]{0, 1, q - 1, q / 2, worstW, r.nextLong(q)}) {
                long want = java.math.BigInteger.valueOf(w).shiftLeft(63).divide(bq).longValueExact(), ws = m.shoup63(w);
                assertEquals(want, ws, "q " + q + " w " + w);
                for (long x : new long[]{0, 1, q - 1, q, 2 * q - 2, 2 * q - 1, r.nextLong(2 * q)}) {
                    long v = io.picrypt.ring.Modulus.mulShoupLazy(x, w, ws, 2 * q);
                    assertTrue(v >= 0 && v < 3 * q, "lazy " + v + " outside [0, 3q) at q " + q + " w " + w + " x " + x);
                    assertEquals(java.math.BigInteger.valueOf(x).multiply(java.math.BigInteger.valueOf(w)).mod(bq).longValue(), v % q);
                }
            }
        }
        // the companion at random w for many random odd q (the quotient estimate is at most one below)
        SplittableRandom odd = new SplittableRandom(19);
        for (int k = 0; k < 10_000; k++) {
            long q = odd.nextLong(3, 1L << 60) | 1, w = odd.nextLong(q);
            io.picrypt.ring.Modulus m = new io.picrypt.ring.Modulus(q);
            assertEquals(java.math.BigInteger.valueOf(w).shiftLeft(63).divide(java.math.BigInteger.valueOf(q)).longValueExact(),
                    m.shoup63(w), "q " + q + " w " + w);
        }
    }

    /** Ciphertext at {@code level} with every word q_i - 1 (seed -1) or uniform in [0, q_i). */
    private static Ciphertext words(CkksParameters p, int level, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = p.n();
        long[][][] comps = new long[2][level + 1][n];
        for (int c = 0; c < 2; c++) for (int i = 0; i <= level; i++) {
            long q = p.ring().modulus(i).value();
            for (int t = 0; t < n; t++) comps[c][i][t] = seed == -1 ? q - 1 : r.nextLong(q);
        }
        return Ciphertext.fromComponents(comps, 0x1p30);
    }

    /** A level-1 ciphertext whose words are all q_i - 1 (seed -1) or uniform in [q_i - 2^20, q_i) (other seeds). */
    private static Ciphertext filled(CkksParameters p, long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        long[][][] comps = new long[2][2][n];
        for (int c = 0; c < 2; c++) for (int i = 0; i < 2; i++) {
            long q = p.ring().modulus(i).value();
            for (int t = 0; t < n; t++) comps[c][i][t] = seed == -1 ? q - 1 : q - 1 - r.nextLong(1 << 20);
        }
        return Ciphertext.fromComponents(comps, 0x1p30);
    }

    @Test
    void mismatchedInputsAreClearErrors() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        Encoder enc = new Encoder(P);
        Encryptor en = new Encryptor(P);
        Ciphertext l0 = en.encryptSymmetric(enc.encodeCoefficients(new double[8192], 0x1p20, 0), sk);
        Ciphertext l1 = en.encryptSymmetric(enc.encodeCoefficients(new double[8192], 0x1p20, 1), sk);
        Ciphertext other = en.encryptSymmetric(enc.encodeCoefficients(new double[8192], 0x1p21, 0), sk);
        OffHeapCiphertexts one0 = OffHeapCiphertexts.of(l0), two0 = OffHeapCiphertexts.of(l0, l0), one21 = OffHeapCiphertexts.of(other);
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.of(one0), List.of(l1)));          // levels differ
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.of(two0), List.of(l0)));          // lengths differ
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.of(one0, one21), List.of(l0)));   // scales of the lists differ
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.of(), List.of(l0)));
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.of(one0), List.of(new Evaluator(P).multiply(l0, l0))));
        // a right-hand ciphertext of another ring degree: a clear error, not an index out of bounds inside a task
        Ciphertext small = Ciphertext.fromComponents(new long[2][1][1024], l0.scale());
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.of(one0), List.of(small)));
        assertThrows(CkksException.class, () -> OffHeapCiphertexts.of(l0, other));                      // one scale per list
    }

    private static double[] random(SplittableRandom r) {
        double[] m = new double[8192];
        for (int i = 0; i < m.length; i++) m[i] = r.nextDouble(-1, 1);
        return m;
    }
}
