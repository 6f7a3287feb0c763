package io.picrypt.ring;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class RingTest {
    @Test
    void barrettAndShoupAgreeWithBigInteger() {
        Random r = new Random(1);
        for (long q : Primes.forBitSizes(8192, new int[]{60, 50, 40, 30, 20})) {
            Modulus m = new Modulus(q);
            BigInteger bq = BigInteger.valueOf(q);
            for (int i = 0; i < 2000; i++) {
                long a = Math.floorMod(r.nextLong(), q), b = Math.floorMod(r.nextLong(), q);
                long expect = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)).mod(bq).longValue();
                assertEquals(expect, m.mul(a, b));
                assertEquals(expect, m.mulShoup(a, b, m.shoup(b)));
            }
            assertEquals(q - 1, m.mul(q - 1, 1));
            assertEquals(1, m.mul(q - 1, q - 1));
        }
    }

    @Test
    void primesAreNttFriendlyDistinctAndOfTheRequestedSize() {
        long[] p = Primes.forBitSizes(8192, new int[]{60, 40, 40, 60});
        assertEquals(4, java.util.Arrays.stream(p).distinct().count());
        int[] bits = {60, 40, 40, 60};
        for (int i = 0; i < p.length; i++) {
            assertEquals(bits[i], 64 - Long.numberOfLeadingZeros(p[i]));
            assertTrue(Primes.isNttPrime(p[i], 8192));
        }
    }

    @Test
    void nttRoundTripsAndMultipliesNegacyclically() {
        int n = 64;
        Random r = new Random(2);
        for (long q : Primes.forBitSizes(n, new int[]{60, 30})) {
            Modulus m = new Modulus(q);
            Ntt ntt = new Ntt(n, m);
            long[] a = new long[n], b = new long[n];
            for (int i = 0; i < n; i++) {
                a[i] = Math.floorMod(r.nextLong(), q);
                b[i] = Math.floorMod(r.nextLong(), q);
            }
            // schoolbook negacyclic product
            long[] expect = new long[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    long p = m.mul(a[i], b[j]);
                    int k = i + j;
                    if (k < n) expect[k] = m.add(expect[k], p);
                    else expect[k - n] = m.sub(expect[k - n], p);
                }
            }
            long[] fa = a.clone(), fb = b.clone();
            ntt.forward(fa);
            ntt.forward(fb);
            long[] prod = new long[n];
            for (int i = 0; i < n; i++) prod[i] = m.mul(fa[i], fb[i]);
            ntt.inverse(prod);
            assertArrayEquals(expect, prod);
            ntt.inverse(fa);
            assertArrayEquals(a, fa);
        }
    }

    @Test
    void nttKnownAnswerForX() {
        // NTT(X) evaluated at the odd powers of psi: inverse of the transform of X is X itself, and X * X^(N-1) = -1
        int n = 16;
        long q = Primes.forBitSizes(n, new int[]{30})[0];
        Modulus m = new Modulus(q);
        Ntt ntt = new Ntt(n, m);
        long[] x = new long[n], y = new long[n];
        x[1] = 1;
        y[n - 1] = 1;
        ntt.forward(x);
        ntt.forward(y);
        long[] p = new long[n];
        for (int i = 0; i < n; i++) p[i] = m.mul(x[i], y[i]);
        ntt.inverse(p);
        long[] expect = new long[n];
        expect[0] = q - 1;
        assertArrayEquals(expect, p);
        assertEquals(q - 1, m.pow(ntt.psi(), n));
    }

    @Test
    void crtReconstructsSignedValues() {
        int n = 16;
        RingContext ring = new RingContext(n, Primes.forBitSizes(n, new int[]{40, 40, 50}));
        long[] v = new long[n];
        Random r = new Random(3);
        for (int i = 0; i < n; i++) v[i] = r.nextLong() >> 2;
        long[][] p = ring.fromSigned(v, RingContext.range(0, 3));
        BigInteger[] back = ring.crtCentered(p);
        for (int i = 0; i < n; i++) assertEquals(BigInteger.valueOf(v[i]), back[i]);
    }

    @Test
    void samplersStayInRangeAndSeedExpansionIsDeterministic() {
        Sampler s = new Sampler();
        long[] t = s.ternary(4096);
        long[] g = s.gaussian(4096);
        int zeros = 0;
        for (long x : t) {
            assertTrue(x >= -1 && x <= 1);
            if (x == 0) zeros++;
        }
        assertTrue(zeros > 1100 && zeros < 1640, "ternary roughly uniform: " + zeros);
        double var = 0;
        for (long x : g) {
            assertTrue(Math.abs(x) <= Sampler.ERROR_BOUND);
            var += x * x;
        }
        assertEquals(3.2 * 3.2, var / g.length, 1.5);
        RingContext ring = new RingContext(64, Primes.forBitSizes(64, new int[]{60, 40}));
        byte[] seed = s.newSeed();
        long[][] a = Sampler.uniformFromSeed(seed, 7, ring, new int[]{0, 1});
        assertArrayEquals(a[1], Sampler.uniformFromSeed(seed, 7, ring, new int[]{0, 1})[1]);
        assertFalse(java.util.Arrays.equals(a[0], Sampler.uniformFromSeed(seed, 8, ring, new int[]{0, 1})[0]));
        for (int i = 0; i < 64; i++) assertTrue(a[0][i] < ring.modulus(0).value());
    }
}
