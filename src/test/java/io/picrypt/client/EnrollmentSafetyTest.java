package io.picrypt.client;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Rule 1 of {@link EnrollmentSafety} on constructed unit vectors (distances known exactly). */
class EnrollmentSafetyTest {
    /** A unit vector at angle a (radians) in the first two coordinates: squared distance between angles = 2 - 2 cos(a - b). */
    static float[] at(double a) {
        float[] v = new float[8];
        v[0] = (float) Math.cos(a);
        v[1] = (float) Math.sin(a);
        return v;
    }

    @Test
    void pairsOverTheThresholdAreRefusedAndListed() {
        double threshold = 1.30; // 2 - 2 cos(a) = 1.30 at a = acos(0.35) = 1.2132 rad
        List<float[]> same = List.of(at(0), at(0.5), at(1.0)); // widest pair 2 - 2 cos 1.0 = 0.919
        assertEquals(List.of(), EnrollmentSafety.checkSamePerson(same, i -> "photo " + (i + 1), threshold, EnrollmentSafety.Overrides.NONE));

        List<float[]> mixed = List.of(at(0), at(0.3), at(2.0)); // photo 3 is 2.0 rad / 1.7 rad away from the others
        EnrollmentSafety.Refused r = assertThrows(EnrollmentSafety.Refused.class,
                () -> EnrollmentSafety.checkSamePerson(mixed, i -> "photo " + (i + 1), threshold, EnrollmentSafety.Overrides.NONE));
        assertEquals(EnrollmentSafety.Kind.MIXED_PHOTOS, r.kind());
        assertEquals(2, r.pairs().size());
        assertEquals(0, r.pairs().get(0).first());
        assertEquals(2, r.pairs().get(0).second());
        assertEquals(2 - 2 * Math.cos(2.0), r.pairs().get(0).distance(), 1e-6);
        assertTrue(r.getMessage().contains("photo 1 and photo 3 are not the same person (distance 2.83 > threshold 1.30)"), r.getMessage());

        List<String> notes = EnrollmentSafety.checkSamePerson(mixed, i -> "photo " + (i + 1), threshold, new EnrollmentSafety.Overrides(true, false));
        assertEquals(2, notes.size());
        assertTrue(notes.get(0).endsWith("enrolled anyway, as asked"));
        // just under / just over the threshold
        assertEquals(List.of(), EnrollmentSafety.checkSamePerson(List.of(at(0), at(1.20)), i -> "p" + i, threshold, EnrollmentSafety.Overrides.NONE));
        assertThrows(EnrollmentSafety.Refused.class,
                () -> EnrollmentSafety.checkSamePerson(List.of(at(0), at(1.23)), i -> "p" + i, threshold, EnrollmentSafety.Overrides.NONE));
    }
}
