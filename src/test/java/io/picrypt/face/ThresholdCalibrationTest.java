package io.picrypt.face;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ThresholdCalibrationTest {
    @Test
    void zeroAllowedImpostorsPutsTheThresholdJustBelowTheClosestOne() {
        double[] d = {0.5, 0.9, 1.23456, 1.5, 2.0};
        boolean[] same = {true, true, false, false, false};
        ThresholdCalibration c = ThresholdCalibration.calibrate(List.of(d), List.of(same), 0.001);
        assertEquals(1.2345, c.threshold(), 1e-12);
        assertTrue(c.threshold() < 1.23456);
        assertEquals(3, c.pooledImpostors());
    }

    @Test
    void thresholdOnAnExactFourDecimalImpostorStaysStrictlyBelowIt() {
        ThresholdCalibration c = ThresholdCalibration.calibrate(List.of(new double[]{1.2, 1.3}), List.of(new boolean[]{true, false}), 0);
        assertEquals(1.2999, c.threshold(), 1e-9);
    }

    @Test
    void theStrictestSetDecidesEvenWhenThePoolWouldAllowMore() {
        // pool: 2000 impostors, far 0.001 allows 2 pooled false accepts; set 0 (999 impostors) allows none
        double[] a = new double[999], b = new double[1001];
        boolean[] sa = new boolean[999], sb = new boolean[1001];
        for (int i = 0; i < a.length; i++) a[i] = 1.5 + i * 1e-3;
        for (int i = 0; i < b.length; i++) b[i] = 1.6 + i * 1e-3;
        a[0] = 1.1; // set 0's closest impostor: must be refused
        b[0] = 1.2; // set 1 may accept this one
        ThresholdCalibration c = ThresholdCalibration.calibrate(List.of(a, b), List.of(sa, sb), 0.001);
        assertEquals(1.0999, c.threshold(), 1e-9);
        assertEquals(0, c.limitingSet());
        ThresholdCalibration pooledOnly = ThresholdCalibration.calibrate(List.of(b), List.of(sb), 0.001);
        assertEquals(1.6009, pooledOnly.threshold(), 1e-9, "1001 impostors allow one false accept: just below the second");
    }

    @Test
    void rejectsBadTargetsAndAllUnusablePairs() {
        assertThrows(IllegalArgumentException.class, () -> ThresholdCalibration.calibrate(List.of(new double[]{1}), List.of(new boolean[]{false}), 1.0));
        assertThrows(IllegalArgumentException.class, () -> ThresholdCalibration.calibrate(List.of(new double[]{Double.POSITIVE_INFINITY}),
                List.of(new boolean[]{false}), 0.001));
    }
}
