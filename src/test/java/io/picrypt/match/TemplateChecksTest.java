package io.picrypt.match;

import io.picrypt.ckks.SecretKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Planted check values in 1:1 templates ({@link TemplateChecks}): a server that answers a verify of one name with another
 * name's (or another keyset's) valid template, or with the answer it computed for another name, is caught; honest
 * answers decide exactly as plaintext; templates without check values are accepted but counted as unchecked.
 */
class TemplateChecksTest {
    static SecretKey sk;
    static MatchKeyOwner owner;
    static final MatchEvaluator evaluator = new MatchEvaluator();
    static final SplittableRandom rnd = new SplittableRandom(10);

    @BeforeAll
    static void keys() {
        sk = MatchKeyOwner.generateSecretKey();
        owner = new MatchKeyOwner(sk);
    }

    static float[] unit() { return SyntheticEmbeddings.unit(rnd); }

    @Test
    void honestAnswersDecideAsPlaintextForEveryTemplateCount() {
        for (int count : new int[]{1, 2, 5, 6, 7, 12, 13}) {
            List<float[]> ys = new ArrayList<>();
            List<byte[]> ts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ys.add(unit());
                ts.add(owner.encryptTemplate(ys.get(i), "alice"));
            }
            float[] x = SyntheticEmbeddings.near(ys.get(count - 1), 0.3, rnd);
            MatchKeyOwner.Verified v = owner.decryptVerify(evaluator.verify(ts, owner.encryptProbe(x)), "alice", x);
            assertEquals(count, v.distances().length);
            assertEquals(0, v.unchecked(), "all templates carry check values");
            for (int i = 0; i < count; i++) {
                assertEquals(SyntheticEmbeddings.squaredDistance(x, ys.get(i)), v.distances()[i], 1e-4, count + " templates, #" + i);
            }
        }
    }

    @Test
    void anotherNamesTemplateOrAnswerIsAnIntegrityError() {
        float[] alice = unit(), bob = unit();
        byte[] ta = owner.encryptTemplate(alice, "alice"), tb = owner.encryptTemplate(bob, "bob");
        // bob tries to pass as alice: his own face against his own template, served under alice's name
        byte[] probe = owner.encryptProbe(bob);
        byte[] swapped = evaluator.verify(List.of(tb), probe);
        IntegrityException e = assertThrows(IntegrityException.class, () -> owner.decryptVerify(swapped, "alice", bob));
        assertTrue(e.getMessage().contains("check values of 'alice'") && e.getMessage().contains("no decision"), e.getMessage());
        // one of alice's two templates swapped for bob's
        assertThrows(IntegrityException.class, () -> owner.decryptVerify(evaluator.verify(List.of(ta, tb), probe), "alice", bob));
        // the honest answer is accepted (and is no match)
        MatchKeyOwner.Verified ok = owner.decryptVerify(evaluator.verify(List.of(ta), probe), "alice", bob);
        assertTrue(ok.distances()[0] > 1.5);
        // a name differing in one letter
        byte[] alicE = owner.encryptTemplate(bob, "alicE");
        assertThrows(IntegrityException.class, () -> owner.decryptVerify(evaluator.verify(List.of(alicE), probe), "alice", bob));
    }

    @Test
    void anotherKeysetsTemplateUnderTheSameNameIsAnIntegrityError() {
        MatchKeyOwner other = new MatchKeyOwner(MatchKeyOwner.generateSecretKey());
        float[] y = unit();
        byte[] foreign = other.encryptTemplate(y, "alice");
        assertThrows(IntegrityException.class, () -> owner.decryptVerify(evaluator.verify(List.of(foreign), owner.encryptProbe(y)), "alice", y));
    }

    @Test
    void answerToAnotherProbeIsAnIntegrityError() {
        // a replayed answer: computed for an earlier probe of the same name; the check share depends on the probe
        float[] y = unit(), earlier = SyntheticEmbeddings.near(y, 0.1, rnd), now = unit();
        byte[] t = owner.encryptTemplate(y, "alice");
        byte[] old = evaluator.verify(List.of(t), owner.encryptProbe(earlier));
        assertThrows(IntegrityException.class, () -> owner.decryptVerify(old, "alice", now));
    }

    @Test
    void templatesWithoutCheckValuesAreAcceptedButCounted() {
        float[] y = unit(), z = unit();
        float[] x = SyntheticEmbeddings.near(y, 0.2, rnd);
        byte[] legacy = owner.encryptTemplate(y), planted = owner.encryptTemplate(z, "carol");
        MatchKeyOwner.Verified v = owner.decryptVerify(evaluator.verify(List.of(legacy), owner.encryptProbe(x)), "carol", x);
        assertEquals(1, v.unchecked());
        assertEquals(SyntheticEmbeddings.squaredDistance(x, y), v.distances()[0], 1e-4);
        MatchKeyOwner.Verified mixed = owner.decryptVerify(evaluator.verify(List.of(planted, legacy, planted), owner.encryptProbe(x)), "carol", x);
        assertEquals(1, mixed.unchecked());
        assertEquals(SyntheticEmbeddings.squaredDistance(x, y), mixed.distances()[1], 1e-4);
        assertEquals(SyntheticEmbeddings.squaredDistance(x, z), mixed.distances()[2], 1e-4);
    }

    @Test
    void replayOfAnOlderTemplateOfTheSameNameIsNotDetected() {
        // documented limit (docs/PROTOCOL.md): check values bind name and key, not the enrollment, so a server that
        // keeps an old template of 'alice' and serves it after a re-enrollment is answered as that old template
        float[] old = unit(), fresh = unit();
        byte[] stale = owner.encryptTemplate(old, "alice");
        owner.encryptTemplate(fresh, "alice");
        MatchKeyOwner.Verified v = owner.decryptVerify(evaluator.verify(List.of(stale), owner.encryptProbe(old)), "alice", old);
        assertEquals(0, v.unchecked());
        assertEquals(0, v.distances()[0], 1e-4);
    }

    @Test
    void storedTemplatesDecryptWithTheirName() {
        float[] y = unit();
        byte[] t = owner.encryptTemplate(y, "dave");
        MatchKeyOwner.TemplateContent c = owner.decryptTemplate(t, "dave");
        assertTrue(c.checked());
        assertEquals(0, SyntheticEmbeddings.squaredDistance(y, c.embedding()), 1e-8);
        assertThrows(IntegrityException.class, () -> owner.decryptTemplate(t, "erin"));
        assertFalse(owner.decryptTemplate(owner.encryptTemplate(y), "dave").checked());
    }

    /**
     * The margin behind "overwhelming": over random name pairs, how far the swapped template's free window lies from
     * the expected one (the largest |residual|), compared with the acceptance bound.
     */
    @Test
    void swappedTemplatesMissTheBoundByFarOverRandomNames() {
        TemplateChecks checks = new TemplateChecks(sk);
        double smallest = Double.POSITIVE_INFINITY;
        for (int i = 0; i < 300; i++) {
            float[] x = unit();
            double[] a = TemplateChecks.contribution(checks.of("name" + i), x);
            double[] b = TemplateChecks.contribution(checks.of("other" + i), x);
            for (int k : new int[]{1, 6}) {
                // k packed templates: free windows k..6; worst case all k swapped
                double[] ea = new double[MatchParameters.N], eb = new double[MatchParameters.N];
                for (int j = 0; j < k; j++) {
                    TemplateChecks.addShifted(ea, a, j * MatchParameters.DIMENSION);
                    TemplateChecks.addShifted(eb, b, j * MatchParameters.DIMENSION);
                }
                double worst = 0;
                for (int j = k * MatchParameters.DIMENSION; j < 7 * MatchParameters.DIMENSION; j++) worst = Math.max(worst, Math.abs(ea[j] - eb[j]));
                smallest = Math.min(smallest, worst);
            }
        }
        System.out.printf("smallest largest-free-coefficient difference over 600 swaps: %.4f (bound %.1e)%n", smallest, MatchKeyOwner.NOISE_BOUND);
        assertTrue(smallest > 100 * MatchKeyOwner.NOISE_BOUND, "margin " + smallest);
    }
}
