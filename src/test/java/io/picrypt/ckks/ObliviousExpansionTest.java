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
}
