package io.picrypt.ckks;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Randomised CKKS checks against the same computation on doubles: random vectors, random levels, random sequences
 * of operations, NTT-domain automorphisms against coefficient automorphisms, serializer round trips. Each repetition
 * has its own seed, so a failure reproduces. Uses small insecure parameters (N=4096, 3 levels) for speed.
 */
class CkksPropertyTest {
    static CkksParameters p;
    static SecretKey sk;
    static PublicKey pk;
    static RelinKey rk;
    static GaloisKeys gk;
    static Encoder enc;
    static Encryptor encryptor;
    static Decryptor dec;
    static Evaluator ev;
    static final List<Integer> STEPS = List.of(1, 2, 3, -1, 7, 64, 1000);

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

    static double[] random(Random r, int n, double bound) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (r.nextDouble() * 2 - 1) * bound;
        return v;
    }

    static double maxAbs(double[] v) {
        return Arrays.stream(v).map(Math::abs).max().orElse(0);
    }

    static double maxErr(double[] expect, double[] got) {
        double m = 0;
        for (int i = 0; i < expect.length; i++) m = Math.max(m, Math.abs(expect[i] - got[i]));
        return m;
    }

    Ciphertext fresh(Random r, double[] v, double scale, int level) {
        Plaintext pt = enc.encode(v, scale, level);
        return r.nextBoolean() ? encryptor.encrypt(pt, pk) : encryptor.encryptSymmetric(pt, sk);
    }

    @RepeatedTest(12)
    void randomOperationSequencesTrackDoubles(RepetitionInfo info) {
        Random r = new Random(7000 + info.getCurrentRepetition());
        int slots = p.slots();
        int level = r.nextInt(p.maxLevel() + 1);
        double[] x = random(r, slots, 1);
        Ciphertext ct = fresh(r, x, p.defaultScale(), level);
        List<String> trace = new ArrayList<>();
        for (int step = 0; step < 8; step++) {
            int op = r.nextInt(level > 0 ? 8 : 6);
            double[] y = random(r, slots, 1);
            switch (op) {
                case 0 -> { // add a fresh ciphertext encoded at the current scale and level
                    ct = ev.add(ct, fresh(r, y, ct.scale(), ct.level()));
                    for (int i = 0; i < slots; i++) x[i] += y[i];
                }
                case 1 -> {
                    ct = ev.sub(ct, fresh(r, y, ct.scale(), ct.level()));
                    for (int i = 0; i < slots; i++) x[i] -= y[i];
                }
                case 2 -> {
                    int s = STEPS.get(r.nextInt(STEPS.size()));
                    ct = ev.rotate(ct, s, gk);
                    double[] z = new double[slots];
                    for (int i = 0; i < slots; i++) z[i] = x[Math.floorMod(i + s, slots)];
                    x = z;
                    trace.add("rotate " + s);
                    continue;
                }
                case 3 -> ct = ev.conjugate(ct, gk); // real slots: conjugation is the identity
                case 4 -> {
                    ct = ev.addPlain(ct, enc.encode(y, ct.scale(), ct.level()));
                    for (int i = 0; i < slots; i++) x[i] += y[i];
                }
                case 5 -> {
                    ct = ev.negate(ev.addConstant(ct, 0.25));
                    for (int i = 0; i < slots; i++) x[i] = -(x[i] + 0.25);
                }
                case 6 -> { // multiply by a fresh ciphertext, relinearize, rescale
                    ct = ev.rescale(ev.multiplyRelin(ct, fresh(r, y, ct.scale(), ct.level()), rk));
                    for (int i = 0; i < slots; i++) x[i] *= y[i];
                }
                default -> { // multiply by a plaintext at the level's prime as scale, rescale: scale unchanged
                    double s = p.dataPrime(ct.level());
                    ct = ev.rescale(ev.multiplyPlain(ct, enc.encode(y, s, ct.level())));
                    for (int i = 0; i < slots; i++) x[i] *= y[i];
                }
            }
            trace.add("op " + op);
            level = ct.level();
            // keep magnitudes small (the error bound is relative to them); at level 0 growth is at most +1.25 a step
            if (maxAbs(x) > 4 && ct.level() > 0) {
                ct = ev.rescale(ev.multiplyConstant(ct, 0.25, p.dataPrime(ct.level())));
                trace.add("x0.25");
                for (int i = 0; i < slots; i++) x[i] *= 0.25;
            }
        }
        double err = maxErr(x, dec.decrypt(ct));
        assertTrue(err < 1e-5 * Math.max(1, maxAbs(x)), "error " + err + " after " + trace);
    }

    @RepeatedTest(6)
    void nttDomainAutomorphismEqualsCoefficientAutomorphism(RepetitionInfo info) {
        Random r = new Random(8000 + info.getCurrentRepetition());
        int n = p.n();
        int g = 2 * r.nextInt(n) + 1;
        var ring = p.ring();
        int limb = r.nextInt(ring.size());
        long q = ring.modulus(limb).value();
        long[] a = new long[n];
        for (int i = 0; i < n; i++) a[i] = Math.floorMod(r.nextLong(), q);
        long[] viaCoefficients = new long[n];
        Automorphism.applyToLimb(a, viaCoefficients, g, q);
        ring.ntt(limb).forward(viaCoefficients);
        long[] aNtt = a.clone();
        ring.ntt(limb).forward(aNtt);
        long[] viaNtt = new long[n];
        Automorphism.applyNtt(aNtt, viaNtt, Automorphism.nttPermutation(n, g));
        assertArrayEquals(viaCoefficients, viaNtt, "g=" + g);
    }

    @RepeatedTest(8)
    void serializerRoundTripsRandomCiphertextsAtRandomLevels(RepetitionInfo info) {
        Random r = new Random(9000 + info.getCurrentRepetition());
        int level = r.nextInt(p.maxLevel() + 1);
        double[] x = random(r, p.slots(), 1 + r.nextInt(1000));
        Ciphertext ct = fresh(r, x, Math.pow(2, 20 + r.nextInt(21)), level);
        if (r.nextBoolean()) ct = ev.multiply(ct, ct); // 3 components
        else if (r.nextBoolean()) ct = ev.rotate(ct, 1, gk);
        boolean useSeed = r.nextBoolean();
        byte[] bytes = Serializer.writeCiphertext(ct, p, useSeed);
        boolean seeded = useSeed && ct.isSeeded();
        assertEquals(Serializer.ciphertextBytes(p, ct.size(), ct.level(), seeded), bytes.length);
        Ciphertext back = Serializer.readCiphertext(bytes, p);
        assertEquals(ct.size(), back.size());
        assertEquals(ct.level(), back.level());
        assertEquals(ct.scale(), back.scale());
        assertEquals(seeded, back.isSeeded());
        for (int c = 0; c < ct.size(); c++) {
            for (int i = 0; i <= ct.level(); i++) assertArrayEquals(ct.component(c)[i], back.component(c)[i]);
        }
        // any single flipped bit in the body is either rejected or changes the ciphertext
        byte[] bad = bytes.clone();
        int pos = 45 + (seeded ? 32 : 0) + r.nextInt(bad.length - 45 - (seeded ? 32 : 0));
        bad[pos] ^= (byte) (1 << r.nextInt(8));
        try {
            Ciphertext changed = Serializer.readCiphertext(bad, p);
            boolean differs = false;
            for (int c = 0; c < ct.size() && !differs; c++) {
                for (int i = 0; i <= ct.level() && !differs; i++) differs = !Arrays.equals(ct.component(c)[i], changed.component(c)[i]);
            }
            assertTrue(differs, "a flipped bit at " + pos + " went unnoticed");
        } catch (CkksException expected) {
            // coefficient no longer below its modulus
        }
    }

    @RepeatedTest(4)
    void hoistedRotationsEqualPlainRotationsExactly(RepetitionInfo info) {
        Random r = new Random(9500 + info.getCurrentRepetition());
        Ciphertext ct = fresh(r, random(r, p.slots(), 1), p.defaultScale(), r.nextInt(p.maxLevel() + 1));
        Map<Integer, Ciphertext> h = ev.rotateHoisted(ct, STEPS, gk);
        for (int s : STEPS) {
            Ciphertext plain = ev.rotate(ct, s, gk);
            for (int c = 0; c < 2; c++) {
                for (int i = 0; i <= ct.level(); i++) assertArrayEquals(plain.component(c)[i], h.get(s).component(c)[i], "step " + s);
            }
        }
    }

    @RepeatedTest(3)
    void parallelAndSequentialEvaluationAgreeExactly(RepetitionInfo info) {
        Random r = new Random(9800 + info.getCurrentRepetition());
        Ciphertext a = fresh(r, random(r, p.slots(), 1), p.defaultScale(), 1 + r.nextInt(p.maxLevel()));
        Ciphertext b = fresh(r, random(r, p.slots(), 1), p.defaultScale(), a.level());
        boolean was = io.picrypt.ring.Parallel.enabled();
        Ciphertext[][] results = new Ciphertext[2][];
        try {
            for (int mode = 0; mode < 2; mode++) {
                io.picrypt.ring.Parallel.setEnabled(mode == 1);
                Ciphertext m = ev.rescale(ev.multiplyRelin(a, b, rk));
                results[mode] = new Ciphertext[]{m, ev.rotate(a, 7, gk), ev.rotateHoisted(a, List.of(1, 64), gk).get(64)};
            }
        } finally {
            io.picrypt.ring.Parallel.setEnabled(was);
        }
        for (int k = 0; k < results[0].length; k++) {
            for (int c = 0; c < 2; c++) {
                for (int i = 0; i <= results[0][k].level(); i++) {
                    assertArrayEquals(results[0][k].component(c)[i], results[1][k].component(c)[i], "result " + k);
                }
            }
        }
    }
}
