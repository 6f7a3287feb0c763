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
            int len = 37, lists = ProductSum.GROUP + 2; // 37 > 2^62 / q0 = 16 per chunk; two groups
            List<Ciphertext> bs = new ArrayList<>();
            List<Ciphertext[]> as = new ArrayList<>();
            for (int j = 0; j < len; j++) bs.add(en.encryptSymmetric(enc.encodeCoefficients(random(r), 0x1p20, level), sk));
            for (int k = 0; k < lists; k++) {
                Ciphertext[] a = new Ciphertext[len];
                for (int j = 0; j < len; j++) a[j] = en.encryptSymmetric(enc.encodeCoefficients(random(r), 0x1p20, level), sk);
                as.add(a);
            }
            Ciphertext[] got = ProductSum.sums(P, as, bs);
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

    @Test
    void mismatchedInputsAreClearErrors() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        Encoder enc = new Encoder(P);
        Encryptor en = new Encryptor(P);
        Ciphertext l0 = en.encryptSymmetric(enc.encodeCoefficients(new double[8192], 0x1p20, 0), sk);
        Ciphertext l1 = en.encryptSymmetric(enc.encodeCoefficients(new double[8192], 0x1p20, 1), sk);
        Ciphertext other = en.encryptSymmetric(enc.encodeCoefficients(new double[8192], 0x1p21, 0), sk);
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.<Ciphertext[]>of(new Ciphertext[]{l0}), List.of(l1)));
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.<Ciphertext[]>of(new Ciphertext[]{l0, l0}), List.of(l0)));
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.<Ciphertext[]>of(new Ciphertext[]{l0, other}), List.of(l0, l0)));
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.of(), List.of(l0)));
        assertThrows(CkksException.class, () -> ProductSum.sums(P, List.<Ciphertext[]>of(new Ciphertext[]{l0}), List.of(new Evaluator(P).multiply(l0, l0))));
    }

    private static double[] random(SplittableRandom r) {
        double[] m = new double[8192];
        for (int i = 0; i < m.length; i++) m[i] = r.nextDouble(-1, 1);
        return m;
    }
}
