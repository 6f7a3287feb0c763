package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Decryptor;
import io.picrypt.ckks.Encoder;
import io.picrypt.ckks.Encryptor;
import io.picrypt.ckks.Evaluator;
import io.picrypt.ckks.GaloisKeys;
import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.SecretKey;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static io.picrypt.match.MatchTest.plainD2;
import static io.picrypt.match.MatchTest.unit;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Why block results are not packed into one ciphertext with automorphisms (issue 16 round 3, docs/PROTOCOL.md
 * "Compact gallery answer", "Why not smaller"): a partial trace keeps or kills a coefficient by its exponent mod 2^l,
 * and in this layout every distance shares its residue with the partial sums 128 places away, so a trace keeps them
 * together. These tests pin that down; a layout that packs (an odd dimension stride) must change them on purpose.
 */
class GalleryPackingTest {
    private static final int N = GalleryParameters.N;

    @Test
    void everyDistancePositionSharesItsLowBitsWithPartialSums() {
        Set<Integer> d = new HashSet<>();
        for (int p : GalleryParameters.distancePositions()) d.add(p);
        assertEquals(GalleryParameters.BLOCK_CAPACITY, d.size());
        for (int l = 1; l <= 7; l++) {
            int mod = 1 << l;
            int[] perClass = new int[mod];
            for (int p : d) {
                perClass[p % mod]++;
                // the partial sum at p + 128 (dimension offset d - d' = 1) is not a distance but has p's residue mod 2^l
                int q = (p + GalleryParameters.COLUMNS) % N;
                assertFalse(d.contains(q), "position " + q);
                assertEquals(p % mod, q % mod);
            }
            // distances fill every residue class mod 2^l equally: no trace level selects more of them than of the rest
            for (int c = 0; c < mod; c++) assertEquals(GalleryParameters.BLOCK_CAPACITY / mod, perClass[c], "class " + c + " mod " + mod);
        }
    }

    @Test
    void partialTraceOfABlockResultKeepsPartialSumsWithTheDistances() {
        SecretKey sk = GalleryKeyOwner.generateSecretKey();
        GalleryKeyOwner owner = new GalleryKeyOwner(sk);
        GalleryEvaluator evaluator = new GalleryEvaluator(owner.evaluationKeys());
        List<float[]> gallery = new ArrayList<>();
        for (int i = 0; i < 300; i++) gallery.add(unit(GalleryParameters.DIMENSION));
        float[] probe = unit(GalleryParameters.DIMENSION);
        GalleryEvaluator.Block block = evaluator.importBlock(owner.encryptBlock(gallery));
        Ciphertext r = evaluator.resultCiphertexts(List.of(block), evaluator.expandProbe(owner.encryptProbe(probe))).get(0);

        // T_2 = (1 + s_(N/2+1))(1 + s_(N+1)): two key switches at q0 with Galois keys the expansion already has
        GaloisKeys keys = new KeyGenerator(GalleryParameters.get()).galoisKeys(sk, List.of(N + 1, N / 2 + 1));
        Evaluator ev = new Evaluator(GalleryParameters.get());
        Ciphertext t = ev.add(r, ev.applyGalois(r, N + 1, keys));
        t = ev.add(t, ev.applyGalois(t, N / 2 + 1, keys));
        Decryptor dec = new Decryptor(GalleryParameters.get(), sk);
        double[] before = dec.decryptCoefficients(r), after = dec.decryptCoefficients(t);

        Set<Integer> d = new HashSet<>();
        for (int p : GalleryParameters.distancePositions()) d.add(p);
        int keptPartialSums = 0, keptDistances = 0;
        for (int i = 0; i < N; i++) {
            if (i % 4 != 0) {
                assertEquals(0, after[i], 1e-9, "coefficient " + i + " should be killed");
                continue;
            }
            assertEquals(4 * before[i], after[i], 1e-9, "coefficient " + i + " should be kept times 4");
            if (d.contains(i)) keptDistances++;
            else if (Math.abs(before[i]) > 1e-3) keptPartialSums++;
        }
        assertEquals(GalleryParameters.BLOCK_CAPACITY / 4, keptDistances);
        // the kept distances are right, and real partial sums (not noise) sit beside them in the same residue class
        for (int s = 0; s < gallery.size(); s++) {
            int p = GalleryParameters.position(s);
            if (p % 4 == 0) assertEquals(2 - plainD2(gallery.get(s), probe), 2 * after[p] / 4, 1e-3, "slot " + s);
        }
        assertTrue(keptPartialSums > 100, "partial sums kept by the trace: " + keptPartialSums);
    }

    /**
     * What a layout with an odd dimension stride would allow (distances at multiples of 4, partial sums elsewhere):
     * four results in one ciphertext, sum_b X^b T_2(4^-1 R_b). Multiplying by 4^-1 mod q0 first keeps the scale (the
     * trace multiplies by 4), so packed values stay at RESULT_SCALE with only the key-switch noise added.
     */
    @Test
    void fourOddStrideResultsPackIntoOneCiphertextAtTheSameScale() {
        CkksParameters p = GalleryParameters.get();
        SecretKey sk = GalleryKeyOwner.generateSecretKey();
        GaloisKeys keys = new KeyGenerator(p).galoisKeys(sk, List.of(N + 1, N / 2 + 1));
        Evaluator ev = new Evaluator(p);
        Encoder enc = new Encoder(p);
        Encryptor encryptor = new Encryptor(p);
        long q0 = p.dataPrime(0);
        long inv4 = BigInteger.valueOf(4).modInverse(BigInteger.valueOf(q0)).longValueExact();
        Random rnd = new Random(5);
        double[][] m = new double[4][N];
        Ciphertext packed = null;
        for (int b = 0; b < 4; b++) {
            for (int i = 0; i < N; i++) m[b][i] = 2 * rnd.nextDouble() - 1; // distances at i = 0 mod 4, partial sums elsewhere
            Ciphertext r = encryptor.encryptSymmetric(enc.encodeCoefficients(m[b], GalleryParameters.RESULT_SCALE, 0), sk);
            Ciphertext t = ev.multiplyInteger(r, inv4);
            t = ev.add(t, ev.applyGalois(t, N + 1, keys));
            t = ev.add(t, ev.applyGalois(t, N / 2 + 1, keys));
            t = ev.multiplyMonomial(t, b);
            packed = packed == null ? t : ev.add(packed, t);
        }
        assertEquals(GalleryParameters.RESULT_SCALE, packed.scale());
        double[] out = new Decryptor(p, sk).decryptCoefficients(packed);
        double maxErr = 0;
        for (int i = 0; i < N; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - m[i % 4][i - i % 4]));
        assertTrue(maxErr < 1e-12, "max error " + maxErr); // key-switch noise ~1e2 against a scale of 2^55
    }
}
