package io.picrypt.ckks;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ObliviousExpansionTest {
    // small insecure ring so the test is fast; the gallery test covers the real parameters
    static final CkksParameters P = CkksParameters.insecureForTests(1024, new int[]{45, 45, 55}, Math.pow(2, 30));

    @Test
    void substitutionIsTheCoefficientAutomorphism() {
        KeyGenerator kg = new KeyGenerator(P);
        SecretKey sk = kg.secretKey();
        int g = P.n() / 4 + 1;
        GaloisKeys keys = kg.galoisKeys(sk, List.of(g));
        double[] m = new double[P.n()];
        Random r = new Random(3);
        for (int i = 0; i < m.length; i++) m[i] = r.nextDouble() - 0.5;
        Ciphertext ct = new Encryptor(P).encryptSymmetric(new Encoder(P).encodeCoefficients(m, P.defaultScale(), P.maxLevel()), sk);
        double[] got = new Decryptor(P, sk).decryptCoefficients(new ObliviousExpansion(P).substitute(ct, g, keys));
        // m(X^g) in Z[X]/(X^N + 1): coefficient i moves to i*g mod 2N, negated when it wraps past N
        double[] expect = new double[m.length];
        int n = P.n();
        for (int i = 0; i < n; i++) {
            int e = (int) ((long) i * g % (2L * n));
            if (e < n) expect[e] = m[i]; else expect[e - n] = -m[i];
        }
        double maxDiff = 0;
        for (int i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expect[i]));
        assertTrue(maxDiff < 1e-5, "max difference " + maxDiff);
    }

    @Test
    void expandsCoefficientsIntoConstants() {
        KeyGenerator kg = new KeyGenerator(P);
        SecretKey sk = kg.secretKey();
        int k = 64;
        GaloisKeys keys = kg.galoisKeys(sk, ObliviousExpansion.galoisElements(P.n(), k));
        double[] m = new double[k];
        Random r = new Random(5);
        for (int i = 0; i < k; i++) m[i] = r.nextDouble() * 2 - 1;
        double wire = P.defaultScale() / k;
        Ciphertext ct = new Encryptor(P).encryptSymmetric(new Encoder(P).encodeCoefficients(m, wire, P.maxLevel()), sk);
        List<Ciphertext> out = new ObliviousExpansion(P).expand(ct, k, keys);
        assertEquals(k, out.size());
        Decryptor d = new Decryptor(P, sk);
        for (int j = 0; j < k; j++) {
            assertEquals(P.defaultScale(), out.get(j).scale(), 1e-6);
            double[] c = d.decryptCoefficients(out.get(j));
            assertEquals(m[j], c[0], 1e-4, "constant of output " + j);
            for (int i = 1; i < c.length; i++) assertEquals(0, c[i], 1e-4, "output " + j + " coefficient " + i);
        }
    }

    @Test
    void rejectsMissingKeysAndBadFanOut() {
        KeyGenerator kg = new KeyGenerator(P);
        SecretKey sk = kg.secretKey();
        GaloisKeys partial = kg.galoisKeys(sk, List.of(P.n() + 1));
        Ciphertext ct = new Encryptor(P).encryptSymmetric(new Encoder(P).encodeConstant(0.5, P.defaultScale(), P.maxLevel()), sk);
        ObliviousExpansion ex = new ObliviousExpansion(P);
        assertThrows(CkksException.class, () -> ex.expand(ct, 4, partial));
        assertThrows(CkksException.class, () -> ex.expand(ct, 3, partial));
        assertThrows(CkksException.class, () -> ex.expand(ct, 2 * P.n(), partial));
        assertEquals(2, ex.expand(ct, 2, partial).size());
    }

    private static boolean sameWords(Ciphertext a, Ciphertext b) {
        if (a.size() != b.size() || a.level() != b.level() || a.scale() != b.scale()) return false;
        for (int c = 0; c < a.size(); c++) {
            for (int i = 0; i <= a.level(); i++) if (!java.util.Arrays.equals(a.component(c)[i], b.component(c)[i])) return false;
        }
        return true;
    }

    @Test
    void parallelExpansionEqualsSequentialWordForWord() {
        KeyGenerator kg = new KeyGenerator(P);
        SecretKey sk = kg.secretKey();
        int k = 32;
        GaloisKeys keys = kg.galoisKeys(sk, ObliviousExpansion.galoisElements(P.n(), k));
        double[] m = new double[P.n()];
        Random r = new Random(9);
        for (int i = 0; i < m.length; i++) m[i] = r.nextDouble() - 0.5;
        Ciphertext ct = new Encryptor(P).encryptSymmetric(new Encoder(P).encodeCoefficients(m, P.defaultScale() / k, P.maxLevel()), sk);
        ObliviousExpansion ex = new ObliviousExpansion(P);
        boolean was = io.picrypt.ring.Parallel.enabled();
        List<Ciphertext> sequential, parallel;
        try {
            io.picrypt.ring.Parallel.setEnabled(false);
            sequential = ex.expand(ct, k, keys);
            io.picrypt.ring.Parallel.setEnabled(true);
            parallel = ex.expand(ct, k, keys);
        } finally {
            io.picrypt.ring.Parallel.setEnabled(was);
        }
        for (int j = 0; j < k; j++) assertTrue(sameWords(sequential.get(j), parallel.get(j)), "output " + j);
    }

    /** The expansion spelled out with the evaluator's own operations (what the optimized loop must equal word for word). */
    @Test
    void expansionEqualsTheEvaluatorSpelledOutWordForWord() {
        KeyGenerator kg = new KeyGenerator(P);
        SecretKey sk = kg.secretKey();
        int k = 16;
        GaloisKeys keys = kg.galoisKeys(sk, ObliviousExpansion.galoisElements(P.n(), k));
        double[] m = new double[P.n()];
        Random r = new Random(13);
        for (int i = 0; i < m.length; i++) m[i] = r.nextDouble() - 0.5;
        Encoder encoder = new Encoder(P);
        Evaluator ev = new Evaluator(P);
        Ciphertext ct = new Encryptor(P).encryptSymmetric(encoder.encodeCoefficients(m, P.defaultScale() / k, P.maxLevel()), sk);
        List<Ciphertext> cur = List.of(ct);
        for (int l = 0; (1 << l) < k; l++) {
            int g = (P.n() >> l) + 1;
            long[] mono = new long[P.n()];
            mono[P.n() - (1 << l)] = -1; // X^(-2^l) = -X^(N - 2^l)
            Plaintext p = encoder.encodeIntegers(mono, 1.0, P.maxLevel());
            java.util.List<Ciphertext> plus = new java.util.ArrayList<>(), minus = new java.util.ArrayList<>();
            for (Ciphertext c : cur) {
                Ciphertext s = ev.applyGalois(c, g, keys);
                plus.add(ev.add(c, s));
                minus.add(ev.multiplyPlain(ev.sub(c, s), p));
            }
            plus.addAll(minus);
            cur = plus;
        }
        Ciphertext input = Ciphertext.fromComponents(new long[][][]{ct.component(0), ct.component(1)}, ct.scale());
        List<Ciphertext> got = new ObliviousExpansion(P).expand(ct, k, keys);
        assertTrue(sameWords(input, ct), "the caller's ciphertext is not modified");
        for (int j = 0; j < k; j++) {
            for (int c = 0; c < 2; c++) {
                for (int i = 0; i <= ct.level(); i++) {
                    assertArrayEquals(cur.get(j).component(c)[i], got.get(j).component(c)[i], "output " + j + " component " + c + " limb " + i);
                }
            }
            assertEquals(ct.scale() * k, got.get(j).scale());
        }
    }

    /**
     * The expansion with its rescale inside: past the last level it is the plain expansion, at the last level the plain
     * expansion followed by a rescale of every output (word for word); earlier, outputs at one prime lower still encrypt
     * the constants (within the doubled rounding noise), in parallel word for word as sequentially, and the caller's
     * ciphertext is never changed.
     */
    @Test
    void rescaleInsideTheExpansion() {
        KeyGenerator kg = new KeyGenerator(P);
        SecretKey sk = kg.secretKey();
        int k = 32, levels = 5;
        GaloisKeys keys = kg.galoisKeys(sk, ObliviousExpansion.galoisElements(P.n(), k));
        double[] m = new double[k];
        Random r = new Random(23);
        for (int i = 0; i < k; i++) m[i] = r.nextDouble() * 2 - 1;
        long q1 = P.dataPrime(1);
        Ciphertext ct = new Encryptor(P).encryptSymmetric(new Encoder(P).encodeCoefficients(m, P.defaultScale() * q1 / k, 1), sk);
        Ciphertext before = Ciphertext.fromComponents(new long[][][]{ct.component(0), ct.component(1)}, ct.scale());
        ObliviousExpansion ex = new ObliviousExpansion(P);
        Evaluator ev = new Evaluator(P);
        List<Ciphertext> plain = ex.expand(ct, k, keys);
        List<Ciphertext> none = ex.expand(ct, k, keys, levels + 1);
        List<Ciphertext> atEnd = ex.expand(ct, k, keys, levels);
        for (int j = 0; j < k; j++) {
            assertTrue(sameWords(plain.get(j), none.get(j)), "no rescale, output " + j);
            assertTrue(sameWords(ev.rescale(plain.get(j)), atEnd.get(j)), "rescale after the last level, output " + j);
        }
        Decryptor d = new Decryptor(P, sk);
        for (int after = 0; after < levels; after++) {
            List<Ciphertext> out = ex.expand(ct, k, keys, after);
            boolean was = io.picrypt.ring.Parallel.enabled();
            List<Ciphertext> sequential;
            try {
                io.picrypt.ring.Parallel.setEnabled(false);
                sequential = ex.expand(ct, k, keys, after);
            } finally {
                io.picrypt.ring.Parallel.setEnabled(was);
            }
            for (int j = 0; j < k; j++) {
                Ciphertext o = out.get(j);
                assertEquals(0, o.level(), "rescaled after " + after);
                assertEquals(P.defaultScale(), o.scale(), 1e-6 * P.defaultScale());
                assertTrue(sameWords(sequential.get(j), o), "parallel = sequential, rescale after " + after + ", output " + j);
                double[] c = d.decryptCoefficients(o);
                assertEquals(m[j], c[0], 1e-5, "constant of output " + j + ", rescale after " + after);
                for (int i = 1; i < c.length; i++) assertEquals(0, c[i], 1e-5, "output " + j + " coefficient " + i);
            }
        }
        assertTrue(sameWords(before, ct), "the caller's ciphertext is unchanged");
        Ciphertext low = ev.rescale(ct);
        assertThrows(CkksException.class, () -> ex.expand(low, k, keys, 2)); // nothing to rescale at level 0
        assertEquals(k, ex.expand(low, k, keys, levels + 1).size());
        assertThrows(CkksException.class, () -> ex.expand(ct, k, keys, -1));
    }

    /**
     * addShifted's tiles of rows at the edges, threaded and single-threaded: ring degree 16 (fewer rows than
     * OffHeapCiphertexts.TRANSPOSE_ROWS) and 64 (two tiles), three limbs of 60-bit primes, one column and 5, words near q - 1 and
     * uniform, shifts at both ends and across the tile boundary: word for word the evaluator's multiplyPlain + add.
     */
    @Test
    void addShiftedAtEdgeShapesEqualsTheEvaluatorWordForWord() {
        boolean was = io.picrypt.ring.Parallel.enabled();
        try {
            for (int n : new int[]{16, 64}) {
                CkksParameters p = CkksParameters.of(n, io.picrypt.ring.Primes.forBitSizes(n, new int[]{60, 60, 60, 60}), true, 0x1p30, true);
                Evaluator ev = new Evaluator(p);
                Encoder encoder = new Encoder(p);
                ObliviousExpansion ex = new ObliviousExpansion(p);
                java.util.SplittableRandom r = new java.util.SplittableRandom(n);
                for (int count : new int[]{1, 5}) {
                    Ciphertext[] base = new Ciphertext[count], x = new Ciphertext[count];
                    for (int j = 0; j < count; j++) {
                        base[j] = randomWords(p, r, j % 2 == 0);
                        x[j] = randomWords(p, r, j % 2 == 1);
                    }
                    OffHeapCiphertexts offBase = OffHeapCiphertexts.of(base);
                    for (int shift : new int[]{0, 1, n / 2 - 1, n / 2, n - 1}) {
                        long[] mono = new long[n];
                        mono[shift] = 1;
                        Plaintext mp = encoder.encodeIntegers(mono, 1.0, 2);
                        for (boolean parallel : new boolean[]{true, false}) {
                            io.picrypt.ring.Parallel.setEnabled(parallel);
                            OffHeapCiphertexts got = ex.addShifted(offBase, List.of(x), shift);
                            for (int j = 0; j < count; j++) {
                                assertTrue(sameWords(ev.add(base[j], ev.multiplyPlain(x[j], mp)), got.ciphertext(j)),
                                        "n " + n + " count " + count + " shift " + shift + " parallel " + parallel + " output " + j);
                                assertTrue(sameWords(base[j], offBase.ciphertext(j)), "base " + j + " unchanged");
                            }
                        }
                    }
                }
            }
        } finally {
            io.picrypt.ring.Parallel.setEnabled(was);
        }
    }

    /** A level-2 ciphertext at scale 2^30 whose words are in [q - 8, q) (high) or uniform in [0, q). */
    private static Ciphertext randomWords(CkksParameters p, java.util.SplittableRandom r, boolean high) {
        long[][][] comps = new long[2][3][p.n()];
        for (int c = 0; c < 2; c++) for (int i = 0; i < 3; i++) {
            long q = p.ring().modulus(i).value();
            for (int k = 0; k < p.n(); k++) comps[c][i][k] = high ? q - 1 - r.nextLong(8) : r.nextLong(q);
        }
        return Ciphertext.fromComponents(comps, 0x1p30);
    }

    /** The enrollment's update after a rescaled expansion: word for word the evaluator's multiplyPlain + add, off the heap, base untouched. */
    @Test
    void addShiftedEqualsMultiplyPlainAddWordForWordAndLeavesTheBaseAlone() {
        KeyGenerator kg = new KeyGenerator(P);
        SecretKey sk = kg.secretKey();
        Encryptor enc = new Encryptor(P);
        Encoder encoder = new Encoder(P);
        Evaluator ev = new Evaluator(P);
        Random r = new Random(29);
        int k = 6;
        double scale = Math.pow(2, 30);
        Ciphertext[] base = new Ciphertext[k], x = new Ciphertext[k];
        for (int j = 0; j < k; j++) {
            double[] b = new double[P.n()], v = new double[P.n()];
            for (int i = 0; i < b.length; i++) {
                b[i] = r.nextDouble() - 0.5;
                v[i] = r.nextDouble() - 0.5;
            }
            base[j] = enc.encryptSymmetric(encoder.encodeCoefficients(b, scale, 0), sk); // seeded
            x[j] = ev.rescale(enc.encryptSymmetric(encoder.encodeCoefficients(v, scale * P.dataPrime(1), 1), sk));
        }
        OffHeapCiphertexts offBase = OffHeapCiphertexts.of(base);
        ObliviousExpansion ex = new ObliviousExpansion(P);
        List<Ciphertext> xs = List.of(x);
        for (int shift : new int[]{0, 1, 129, P.n() / 2 + 3, P.n() - 1}) {
            OffHeapCiphertexts got = ex.addShifted(offBase, xs, shift);
            long[] mono = new long[P.n()];
            mono[shift] = 1;
            Plaintext p = encoder.encodeIntegers(mono, 1.0, 0);
            assertEquals(0, got.level());
            assertEquals(scale, got.scale());
            for (int j = 0; j < k; j++) {
                Ciphertext reference = ev.add(base[j], ev.multiplyPlain(x[j], p));
                Ciphertext g = got.ciphertext(j);
                assertTrue(sameWords(reference, g), "shift " + shift + " output " + j);
                assertFalse(got.isSeeded(j), "c1 changed: no seed");
                assertTrue(sameWords(base[j], offBase.ciphertext(j)), "base " + j + " unchanged");
            }
        }
        assertThrows(CkksException.class, () -> ex.addShifted(offBase, xs, P.n()));
        assertThrows(CkksException.class, () -> ex.addShifted(offBase, xs, -1));
        assertThrows(CkksException.class, () -> ex.addShifted(offBase, xs.subList(0, k - 1), 0));
        Ciphertext[] wrongLevel = java.util.Arrays.copyOf(x, k);
        wrongLevel[2] = enc.encryptSymmetric(encoder.encodeConstant(0.5, scale, 1), sk);
        assertThrows(CkksException.class, () -> ex.addShifted(offBase, List.of(wrongLevel), 0));
        Ciphertext[] wrongScale = java.util.Arrays.copyOf(x, k);
        wrongScale[3] = enc.encryptSymmetric(encoder.encodeConstant(0.5, scale * 2, 0), sk);
        assertThrows(CkksException.class, () -> ex.addShifted(offBase, List.of(wrongScale), 0));
    }
}
