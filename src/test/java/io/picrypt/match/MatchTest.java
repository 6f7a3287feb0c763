package io.picrypt.match;

import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.SecretKey;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class MatchTest {
    static final Random rnd = new Random(11);

    static float[] unit(int dim) {
        float[] v = new float[dim];
        double n = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) rnd.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < dim; i++) v[i] /= (float) Math.sqrt(n);
        return v;
    }

    /** A vector at a chosen cosine to v. */
    static float[] near(float[] v, double cos) {
        float[] r = unit(v.length);
        double d = 0;
        for (int i = 0; i < v.length; i++) d += r[i] * v[i];
        float[] o = new float[v.length];
        double n = 0;
        for (int i = 0; i < v.length; i++) {
            o[i] = (float) (r[i] - d * v[i]);
            n += o[i] * o[i];
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (cos * v[i] + Math.sqrt(1 - cos * cos) * o[i] / Math.sqrt(n));
        return out;
    }

    static double plainD2(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }

    @Test
    void packedTemplateDistancesMatchPlaintextAndDecisionsAgree() {
        SecretKey sk = MatchKeyOwner.generateSecretKey();
        MatchKeyOwner owner = new MatchKeyOwner(sk);
        MatchEvaluator evaluator = new MatchEvaluator();
        List<float[]> gallery = new ArrayList<>();
        for (int i = 0; i < 21; i++) gallery.add(unit(512));
        float[] probe = near(gallery.get(13), 0.8);
        List<byte[]> templates = gallery.stream().map(owner::encryptTemplate).toList();
        // 21 templates of one name: three packed ciphertexts of 8 (the circuit of 1:1 verify)
        double[] d2 = owner.decryptVerify(evaluator.verify(templates, owner.encryptProbe(probe)));
        assertEquals(21, d2.length);
        double threshold = 1.0;
        double maxErr = 0;
        for (int i = 0; i < 21; i++) {
            double expect = plainD2(probe, gallery.get(i));
            maxErr = Math.max(maxErr, Math.abs(expect - d2[i]));
            assertEquals(expect < threshold, d2[i] < threshold, "decision for " + i);
        }
        assertTrue(maxErr < 1e-4, "max |error| of d^2: " + maxErr);
        assertEquals(13, argmin(d2));
    }

    @Test
    void verifyAgainstSeveralTemplatesOfOneNameAndShorterEmbeddings() {
        MatchKeyOwner owner = new MatchKeyOwner(MatchKeyOwner.generateSecretKey());
        float[] a = unit(128), b = near(a, 0.95), c = unit(128);
        byte[] res = new MatchEvaluator().verify(List.of(owner.encryptTemplate(a), owner.encryptTemplate(c)), owner.encryptProbe(b));
        double[] d = owner.decryptVerify(res);
        assertEquals(2, d.length);
        assertEquals(plainD2(a, b), d[0], 1e-4);
        assertEquals(plainD2(c, b), d[1], 1e-4);
        assertTrue(res.length <= 256 * 1024, "verify response " + res.length + " B");
        assertTrue(owner.encryptProbe(b).length <= 512 * 1024);
    }

    @Test
    void serverRejectsForeignOrMalformedCiphertexts() {
        MatchEvaluator evaluator = new MatchEvaluator();
        MatchKeyOwner owner = new MatchKeyOwner(MatchKeyOwner.generateSecretKey());
        byte[] t = owner.encryptTemplate(unit(512));
        assertDoesNotThrow(() -> evaluator.validateTemplate(t));
        assertThrows(CkksException.class, () -> evaluator.validateTemplate(Arrays.copyOf(t, t.length - 3)));
        assertThrows(CkksException.class, () -> evaluator.validateTemplate(new byte[100]));
        byte[] scaled = t.clone();
        scaled[5 + 16 + 3] ^= 1; // scale byte
        assertThrows(CkksException.class, () -> evaluator.validateTemplate(scaled));
        assertThrows(CkksException.class, () -> evaluator.verify(List.of(t), new byte[]{1, 2, 3}));
        assertThrows(CkksException.class, () -> owner.decryptDistances(new byte[20]));
        assertThrows(IllegalArgumentException.class, () -> owner.encryptTemplate(new float[513]));
    }

    @Test
    void anotherKeyCannotReadTheResult() {
        MatchKeyOwner owner = new MatchKeyOwner(MatchKeyOwner.generateSecretKey());
        MatchKeyOwner other = new MatchKeyOwner(MatchKeyOwner.generateSecretKey());
        float[] a = unit(512);
        byte[] res = new MatchEvaluator().verify(List.of(owner.encryptTemplate(a)), owner.encryptProbe(a));
        assertEquals(0, owner.decryptVerify(res)[0], 1e-4);
        // a different key decrypts noise: refused as an integrity error, never a distance (issue 10)
        assertThrows(IntegrityException.class, () -> other.decryptVerify(res));
    }

    static int argmin(double[] d) {
        int b = 0;
        for (int i = 1; i < d.length; i++) if (d[i] < d[b]) b = i;
        return b;
    }
}
