package io.picrypt.imagediff;

import io.picrypt.ring.Sampler;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class BufferedSecureRandomTest {
    @Test
    void gaussianHasUnitVarianceAndNoBias() {
        BufferedSecureRandom r = new BufferedSecureRandom();
        int n = 400_000;
        double sum = 0, sq = 0, fourth = 0;
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            sum += g;
            sq += g * g;
            fourth += g * g * g * g;
        }
        double mean = sum / n, var = sq / n - mean * mean;
        assertEquals(0, mean, 0.01);        // sd of the mean: 1/sqrt(n) = 0.0016
        assertEquals(1, var, 0.015);        // sd of the variance estimate: sqrt(2/n) = 0.0022
        assertEquals(3, fourth / n, 0.06);  // normal kurtosis; sd sqrt(96/n) = 0.015
    }

    @Test
    void samplerErrorsKeepSigma() {
        long[] e = new Sampler(new BufferedSecureRandom()).gaussian(200_000);
        double sq = 0;
        for (long v : e) {
            assertTrue(Math.abs(v) <= Sampler.ERROR_BOUND);
            sq += v * v;
        }
        // rounding adds 1/12 to the variance: 3.2^2 + 1/12 = 10.32
        assertEquals(10.32, sq / e.length, 0.15);
    }

    @Test
    void bytesAreNotRepeated() {
        BufferedSecureRandom r = new BufferedSecureRandom();
        byte[] a = new byte[40_000], b = new byte[40_000];
        r.nextBytes(a);
        r.nextBytes(b);
        assertFalse(java.util.Arrays.equals(a, b));
        int zeros = 0;
        for (byte x : a) if (x == 0) zeros++;
        assertTrue(zeros < 400, "about 156 zero bytes expected, got " + zeros); // served bytes are zeroed in the buffer, not in the output
        assertNotEquals(new BufferedSecureRandom().nextGaussian(), new BufferedSecureRandom().nextGaussian());
    }
}
