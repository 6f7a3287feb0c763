package io.picrypt.ckks;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The destination and in-place variants (issue 16) give exactly the allocating versions' ciphertexts, word for word,
 * including when a destination is reused with stale contents and when the pooled key-switch buffers of one thread are
 * reused across levels; misuse is a clear error. Plus fresh-encryption noise measured against the distribution the
 * encryptors document (public key: SEAL's mod-down by P).
 */
class DestinationVariantsTest {
    static CkksParameters p;
    static SecretKey sk;
    static PublicKey pk;
    static RelinKey rk;
    static GaloisKeys gk;
    static Encoder enc;
    static Encryptor encryptor;
    static Decryptor dec;
    static Evaluator ev;
    static final List<Integer> STEPS = List.of(1, 3, -1, 64);

    @BeforeAll
    static void keys() {
        p = CkksParameters.insecureForTests(4096, new int[]{60, 40, 40, 40, 60}, Math.pow(2, 40));
        KeyGenerator kg = new KeyGenerator(p);
        sk = kg.secretKey();
        pk = kg.publicKey(sk);
        rk = kg.relinKey(sk);
        gk = kg.rotationKeys(sk, STEPS, true);
        enc = new Encoder(p);
        encryptor = new Encryptor(p);
        dec = new Decryptor(p, sk);
        ev = new Evaluator(p);
    }

    static double[] random(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextDouble() * 2 - 1;
        return v;
    }

    static void assertSame(Ciphertext expect, Ciphertext got, String what) {
        assertEquals(expect.size(), got.size(), what + ": size");
        assertEquals(expect.level(), got.level(), what + ": level");
        assertEquals(expect.scale(), got.scale(), 0.0, what + ": scale");
        assertFalse(got.isSeeded(), what + ": a written destination carries no seed");
        for (int c = 0; c < expect.size(); c++) {
            for (int i = 0; i <= expect.level(); i++) {
                assertArrayEquals(expect.component(c)[i], got.component(c)[i], what + ": component " + c + " limb " + i);
            }
        }
    }

    /** A destination full of garbage, so a variant that forgets to overwrite a word is caught. */
    static Ciphertext stale(int size, int level, Random r) {
        Ciphertext d = ev.newCiphertext(size, level, 123.0);
        for (long[][] comp : d.comps) for (long[] limb : comp) for (int j = 0; j < limb.length; j++) limb[j] = r.nextLong() >>> 4;
        return d;
    }

    @RepeatedTest(4)
    void destinationVariantsEqualTheAllocatingOnesExactly(RepetitionInfo info) {
        Random r = new Random(9100 + info.getCurrentRepetition());
        int level = 1 + r.nextInt(p.maxLevel());
        Ciphertext a = encryptor.encryptSymmetric(enc.encode(random(r, p.slots()), p.defaultScale(), level), sk);
        Ciphertext b = encryptor.encrypt(enc.encode(random(r, p.slots()), p.defaultScale(), level), pk);

        Ciphertext prod = ev.multiply(a, b);
        Ciphertext prodD = stale(3, level, r);
        ev.multiply(a, b, prodD);
        assertSame(prod, prodD, "multiply");

        Ciphertext relin = ev.relinearize(prod, rk);
        Ciphertext relinD = stale(2, level, r);
        ev.relinearize(prod, rk, relinD);
        assertSame(relin, relinD, "relinearize");
        ev.relinearize(prod, rk, relinD); // reused destination and pooled buffers: the same again
        assertSame(relin, relinD, "relinearize, reused destination");

        Ciphertext resc = ev.rescale(relin);
        Ciphertext rescD = stale(2, level - 1, r);
        ev.rescale(relin, rescD);
        assertSame(resc, rescD, "rescale");
        Ciphertext rescProd = ev.rescale(prod);
        Ciphertext rescProdD = stale(3, level - 1, r);
        ev.rescale(prod, rescProdD);
        assertSame(rescProd, rescProdD, "rescale of 3 components");

        Ciphertext inPlace = Ciphertext.fromComponents(new long[][][]{relin.component(0), relin.component(1)}, relin.scale());
        ev.rescaleInPlace(inPlace);
        assertSame(resc, inPlace, "rescaleInPlace");

        for (int step : new int[]{1, 3, -1, 64, 0}) {
            Ciphertext rot = ev.rotate(b, step, gk);
            Ciphertext rotD = stale(2, level, r);
            ev.rotate(b, step, gk, rotD);
            assertSame(rot, rotD, "rotate " + step);
            // a lower level through the same thread's pooled buffers
            Ciphertext low = ev.modSwitchTo(b, level - 1);
            Ciphertext rotLow = ev.rotate(low, step, gk);
            Ciphertext rotLowD = stale(2, level - 1, r);
            ev.rotate(low, step, gk, rotLowD);
            assertSame(rotLow, rotLowD, "rotate " + step + " one level lower");
        }
        int conj = GaloisKeys.conjugationElement(p.n());
        Ciphertext cj = ev.applyGalois(a, conj, gk);
        Ciphertext cjD = stale(2, level, r);
        ev.applyGalois(a, conj, gk, cjD);
        assertSame(cj, cjD, "conjugate");
        // the hoisted path runs the same key-switch driver: equal to one rotation at a time
        for (var e : ev.rotateHoisted(b, STEPS, gk).entrySet()) assertSame(ev.rotate(b, e.getKey(), gk), e.getValue(), "hoisted " + e.getKey());
    }

    @Test
    void misusedDestinationsAreClearErrors() {
        Random r = new Random(5);
        Ciphertext a = encryptor.encryptSymmetric(enc.encode(random(r, 8), p.defaultScale()), sk);
        int top = p.maxLevel();
        assertThrows(CkksException.class, () -> ev.multiply(a, a, ev.newCiphertext(2, top, 0)));
        assertThrows(CkksException.class, () -> ev.multiply(a, a, ev.newCiphertext(3, top - 1, 0)));
        Ciphertext prod = ev.multiply(a, a);
        assertThrows(CkksException.class, () -> ev.relinearize(a, rk, ev.newCiphertext(2, top, 0)));
        assertThrows(CkksException.class, () -> ev.relinearize(prod, rk, ev.newCiphertext(3, top, 0)));
        assertThrows(CkksException.class, () -> ev.rescale(a, a));
        assertThrows(CkksException.class, () -> ev.rescale(a, ev.newCiphertext(2, top, 0)));
        assertThrows(CkksException.class, () -> ev.rotate(a, 1, gk, a));
        assertThrows(CkksException.class, () -> ev.rotate(a, 5, gk, ev.newCiphertext(2, top, 0)));
        assertThrows(CkksException.class, () -> ev.rescaleInPlace(ev.modSwitchTo(a, 0)));
        assertThrows(CkksException.class, () -> ev.newCiphertext(2, top + 1, 0));
    }

    /** Coefficient noise rms of a fresh encryption: decryption minus the encoded message, exactly. */
    static double noiseRms(Ciphertext ct, Plaintext pt) {
        BigInteger[] m = dec.decryptToCoefficients(new Ciphertext(new long[][][]{pt.poly, new long[pt.poly.length][p.n()]}, pt.scale));
        BigInteger[] c = dec.decryptToCoefficients(ct);
        double s = 0;
        for (int i = 0; i < c.length; i++) {
            double d = c[i].subtract(m[i]).doubleValue();
            s += d * d;
        }
        return Math.sqrt(s / c.length);
    }

    /**
     * Public-key encryption divides its noise by P (SEAL's mod-down): what is left is the rounding r0 + r1*s with r
     * uniform in [-1/2, 1/2], rms sqrt((1 + ||s||^2) / 12) = sqrt((1 + 2N/3) / 12) ~ 15 for N = 4096. Without the
     * mod-down it would be u*e + e0 + e1*s, rms 3.2 * sqrt(1 + 4N/3) ~ 237 (the old code; fails there). Symmetric
     * encryption's noise is the Gaussian e alone: rms 3.2.
     */
    @Test
    void freshNoiseIsTheDocumentedDistribution() {
        Random r = new Random(11);
        double ternaryWeight = 0; // ||s||^2, exactly
        for (long c : sk.coeffs) ternaryWeight += c * c;
        double predictedPk = Math.sqrt((1 + ternaryWeight) / 12);
        for (int level = 0; level <= p.maxLevel(); level++) {
            Plaintext pt = enc.encode(random(r, p.slots()), p.defaultScale(), level);
            double pkRms = noiseRms(encryptor.encrypt(pt, pk), pt);
            assertEquals(predictedPk, pkRms, 0.1 * predictedPk, "public-key noise rms at level " + level);
            double skRms = noiseRms(encryptor.encryptSymmetric(pt, sk), pt);
            assertEquals(3.2, skRms, 0.3, "symmetric noise rms at level " + level);
        }
    }
}
