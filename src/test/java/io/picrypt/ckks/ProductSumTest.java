package io.picrypt.ckks;

import io.picrypt.ring.Primes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class ProductSumTest {
    static final CkksParameters P = CkksParameters.of(8192, Primes.forBitSizes(8192, new int[]{58, 50, 60}), true, 0x1p28, false);

    /** The kernel equals the evaluator's multiply + add, word for word, at both levels and over more than one lazy chunk and group. */
    @Test
    void equalsTheEvaluatorsTensorSumExactly() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        Encoder enc = new Encoder(P);
        Encryptor en = new Encryptor(P);
        Evaluator ev = new Evaluator(P);
        SplittableRandom r = new SplittableRandom(3);
        for (int level = 0; level <= 1; level++) {
            // level 0: the Shoup kernel (>= SHOUP_MIN_LISTS lists; 37 > (2^63 - 1) / 3q0 = 10 per chunk, a partial last
            // chunk; three groups); level 1: the 128-bit kernel (fewer lists; two groups)
            int len = 37, lists = level == 0 ? ProductSum.SHOUP_MIN_LISTS + 1 : ProductSum.GROUP + 2;
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
     * Largest operands (every word q - 1, so every Karatsuba sum is 2q - 2) at a 60-bit prime, where a Shoup chunk holds
     * only 2 terms and a 128-bit one 16: both kernels' sums and their once-per-chunk reductions are exact at the bound,
     * over several chunks (3 lists: the 128-bit kernel; SHOUP_MIN_LISTS: the Shoup kernel).
     */
    @Test
    void largestOperandsAtSixtyBitPrimesOverSeveralChunks() {
        CkksParameters p60 = CkksParameters.of(1024, Primes.forBitSizes(1024, new int[]{60, 60, 60}), true, 0x1p30, true);
        long q = p60.ring().modulus(0).value();
        assertEquals(2, ProductSum.chunkSize(q, 1000));
        assertEquals(10, ProductSum.chunkSize(P.ring().modulus(0).value(), 1000));
        assertEquals(16, ProductSum.chunkSize128(q, 1000));
        assertEquals(256, ProductSum.chunkSize128(P.ring().modulus(0).value(), 1000));
        for (int lists : new int[]{3, ProductSum.SHOUP_MIN_LISTS}) largestOperands(p60, lists);
    }

    private static void largestOperands(CkksParameters p60, int lists) {
        Evaluator ev = new Evaluator(p60);
        int len = 41, n = 1024;
        List<Ciphertext> bs = new ArrayList<>();
        List<Ciphertext[]> as = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(5);
        for (int j = 0; j < len; j++) bs.add(filled(p60, j % 3 == 0 ? -1 : r.nextLong(), n));
        for (int k = 0; k < lists; k++) {
            Ciphertext[] a = new Ciphertext[len];
            for (int j = 0; j < len; j++) a[j] = filled(p60, k == 0 ? -1 : r.nextLong(), n);
            as.add(a);
        }
        Ciphertext[] got = ProductSum.sums(p60, as.stream().map(OffHeapCiphertexts::of).toList(), bs);
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
                assertEquals(2, ProductSum.chunkSize(p.ring().modulus(2).value(), 1000));
                Evaluator ev = new Evaluator(p);
                SplittableRandom r = new SplittableRandom(n);
                int[][] shapes = {{1, 1}, {1, 2}, {ProductSum.GROUP + 3, 3}, {2, 7}, {ProductSum.SHOUP_MIN_LISTS, 3}}; // {lists, length}: both kernels
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
     * Chunks: chunkSize terms of 3q - 1 stay <= 2^63 - 1 and reduce exactly; shoup63 equals floor(w 2^63 / q) there;
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
            int chunk = ProductSum.chunkSize(q, Integer.MAX_VALUE);
            assertTrue(chunk >= 2, "chunk " + chunk + " at q " + q);
            java.math.BigInteger worstSum = java.math.BigInteger.valueOf(chunk).multiply(bq.multiply(java.math.BigInteger.valueOf(3)).subtract(java.math.BigInteger.ONE));
            assertTrue(worstSum.compareTo(max) <= 0, "chunk sum " + worstSum + " passes 2^63 - 1 at q " + q);
            long sum = chunk * (3 * q - 1); // the largest chunk sum the kernel can form (exact: checked above)
            assertEquals(worstSum.mod(bq).longValue(), m.reduce(sum), "chunk reduction at q " + q);
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
