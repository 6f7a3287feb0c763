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
            int len = 37, lists = ProductSum.GROUP + 2; // 37 > (2^63 - 1) / 3q0 = 10 per chunk, a partial last chunk; two groups
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
     * Largest operands (every word q - 1, so every Karatsuba sum is 2q - 2) at a 60-bit prime, where a chunk holds only
     * 2 terms: the lazy Shoup sums and their once-per-chunk reduction are exact at the bound, over several chunks.
     */
    @Test
    void largestOperandsAtSixtyBitPrimesOverSeveralChunks() {
        CkksParameters p60 = CkksParameters.of(1024, Primes.forBitSizes(1024, new int[]{60, 60, 60}), true, 0x1p30, true);
        long q = p60.ring().modulus(0).value();
        assertEquals(2, ProductSum.chunkSize(q, 1000));
        assertEquals(10, ProductSum.chunkSize(P.ring().modulus(0).value(), 1000));
        Evaluator ev = new Evaluator(p60);
        int len = 41, n = 1024;
        List<Ciphertext> bs = new ArrayList<>();
        List<Ciphertext[]> as = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(5);
        for (int j = 0; j < len; j++) bs.add(filled(p60, j % 3 == 0 ? -1 : r.nextLong(), n));
        for (int k = 0; k < 3; k++) {
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
            long inv = ProductSum.inverse64(q);
            assertEquals(1L, q * inv);
            for (int k = 0; k < 2000; k++) {
                long w = k < 3 ? new long[]{0, 1, q - 1}[k] : r.nextLong(q);
                long want = java.math.BigInteger.valueOf(w).shiftLeft(63).divide(java.math.BigInteger.valueOf(q)).longValueExact();
                assertEquals(want, ProductSum.shoup63(m, inv, w), "q " + q + " w " + w);
                long x = k % 2 == 0 ? 2 * q - 2 : r.nextLong(2 * q);
                long lazy = ProductSum.lazy(x, w, want, 2 * q);
                assertTrue(lazy >= 0 && lazy < 3 * q, "lazy product out of [0, 3q)");
                assertEquals(java.math.BigInteger.valueOf(x).multiply(java.math.BigInteger.valueOf(w)).mod(java.math.BigInteger.valueOf(q)).longValue(), lazy % q);
            }
        }
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
        assertThrows(CkksException.class, () -> OffHeapCiphertexts.of(l0, other));                      // one scale per list
    }

    private static double[] random(SplittableRandom r) {
        double[] m = new double[8192];
        for (int i = 0; i < m.length; i++) m[i] = r.nextDouble(-1, 1);
        return m;
    }
}
