package io.picrypt.face;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class VerificationMetricsTest {
    @Test
    void perfectSeparation() {
        double[] d = {0.2, 0.5, 0.9, 1.6, 1.8, 2.0};
        boolean[] same = {true, true, true, false, false, false};
        VerificationMetrics m = VerificationMetrics.compute(d, same, 1.3);
        assertEquals(1.0, m.auc(), 1e-12);
        assertEquals(1.0, m.accuracy(), 1e-12);
        assertEquals(0.0, m.far(), 1e-12);
        assertEquals(0.0, m.frr(), 1e-12);
        assertEquals(1.0, m.tarAtFar1pct(), 1e-12);
        assertEquals(1.0, m.bestAccuracy(), 1e-12);
        assertTrue(m.bestThreshold() > 0.9 && m.bestThreshold() < 1.6);
        assertEquals(0.9, m.genuineMax(), 0);
        assertEquals(1.6, m.impostorMin(), 0);
    }

    @Test
    void overlapTiesAndMissingFaces() {
        // genuine: 0.4, 1.0, +inf (no face) ; impostor: 1.0 (tie), 0.8 (closer than a genuine), 1.9
        double[] d = {0.4, 1.0, Double.POSITIVE_INFINITY, 1.0, 0.8, 1.9};
        boolean[] same = {true, true, true, false, false, false};
        VerificationMetrics m = VerificationMetrics.compute(d, same, 0.9);
        // pairs (g, i) with g closer: 0.4 beats 3; 1.0 beats 1.9, ties 1.0 (1/2), loses to 0.8; inf beats none
        assertEquals((3 + 1.5 + 0) / 9.0, m.auc(), 1e-12);
        // at 0.9: accept 0.4 (TP), 0.8 (FP); reject 1.0 g, inf g (FN), 1.0 i, 1.9 i (TN)
        assertEquals(3 / 6.0, m.accuracy(), 1e-12);
        assertEquals(1 / 3.0, m.far(), 1e-12);
        assertEquals(2 / 3.0, m.frr(), 1e-12);
        // 3 impostors: 1% allows none, so the threshold must stay below 0.8: only 0.4 is accepted
        assertEquals(1 / 3.0, m.tarAtFar1pct(), 1e-12);
        assertEquals(4 / 6.0, m.bestAccuracy(), 1e-12, "e.g. threshold in [0.4, 0.8) accepts 0.4 only -> 4/6");
    }

    @Test
    void tarAtFarAllowsOnePercentOfImpostors() {
        int imp = 200, gen = 10;
        double[] d = new double[imp + gen];
        boolean[] same = new boolean[imp + gen];
        for (int i = 0; i < imp; i++) d[i] = 1.0 + i * 0.01; // impostors 1.00 .. 2.99
        for (int i = 0; i < gen; i++) { d[imp + i] = 0.995 + i * 0.003; same[imp + i] = true; } // 0.995 .. 1.022
        VerificationMetrics m = VerificationMetrics.compute(d, same, 1.0);
        // 2 impostors may be accepted (1.00, 1.01): genuine below 1.02 count -> 0.995..1.019 = 9 of 10
        assertEquals(0.9, m.tarAtFar1pct(), 1e-12);
    }
}
