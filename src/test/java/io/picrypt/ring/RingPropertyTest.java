package io.picrypt.ring;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Randomised checks (seeded per repetition, so failures reproduce) of the ring layer against BigInteger and schoolbook. */
class RingPropertyTest {
    private static final BigInteger MASK64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private static BigInteger unsigned(long v) { return BigInteger.valueOf(v).and(MASK64); }

    /** A random NTT-friendly prime of 20..61 bits for degree n. */
    private static long randomPrime(Random r, int n) {
        int bits = 20 + r.nextInt(Modulus.MAX_BITS - 19);
        return Primes.forBitSizes(n, new int[]{bits})[0];
    }

    private static long randomBelow(Random r, long q) { return Math.floorMod(r.nextLong(), q); }

    @RepeatedTest(40)
    void modularArithmeticAgreesWithBigInteger(RepetitionInfo info) {
        Random r = new Random(1000 + info.getCurrentRepetition());
        long q = randomPrime(r, 16);
        Modulus m = new Modulus(q);
        BigInteger bq = BigInteger.valueOf(q);
        long[] edge = {0, 1, 2, q - 1, q - 2, q / 2, q / 2 + 1};
        for (int k = 0; k < 400; k++) {
            long a = k < edge.length ? edge[k] : randomBelow(r, q);
            long b = k < edge.length ? edge[edge.length - 1 - k] : randomBelow(r, q);
            BigInteger prod = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b));
            assertEquals(prod.mod(bq).longValue(), m.mul(a, b), () -> a + "*" + b + " mod " + q);
            assertEquals(prod.mod(bq).longValue(), m.reduce128(Math.multiplyHigh(a, b), a * b));
            long w = randomBelow(r, q);
            long x = r.nextLong() >>> 1; // any value below 2^63
            long expect = BigInteger.valueOf(x).multiply(BigInteger.valueOf(w)).mod(bq).longValue();
            assertEquals(expect, m.mulShoupSmall(x, w, m.shoup(w)));
            assertEquals(expect, m.mulShoup(x, w, m.shoup(w)));
            long big = r.nextLong();
            assertEquals(unsigned(big).mod(bq).longValue(), m.reduce(big), "reduce of unsigned " + big);
            assertEquals(BigInteger.valueOf(big).mod(bq).longValue(), m.reduceSigned(big), "reduceSigned " + big);
            long small = r.nextInt(41) - 20;
            assertEquals(BigInteger.valueOf(small).mod(bq).longValue(), m.reduceSigned(small));
        }
        assertEquals(BigInteger.valueOf(Long.MIN_VALUE).mod(bq).longValue(), m.reduceSigned(Long.MIN_VALUE));
        if (m.supportsLazySums()) {
            for (int k = 0; k < 200; k++) {
                int terms = 1 + r.nextInt(4);
                BigInteger sum = BigInteger.ZERO;
                long hi = 0, lo = 0;
                for (int t = 0; t < terms; t++) {
                    long a = k < 20 ? q - 1 : randomBelow(r, q), b = k < 20 ? q - 1 : randomBelow(r, q);
                    sum = sum.add(BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)));
                    long p = a * b, s = lo + p;
                    hi += Math.multiplyHigh(a, b) + (Long.compareUnsigned(s, p) < 0 ? 1 : 0);
                    lo = s;
                }
                assertEquals(sum.mod(bq).longValue(), m.reduceSum4(hi, lo), terms + " products mod " + q);
            }
        }
    }

    @RepeatedTest(24)
    void nttProductEqualsSchoolbookNegacyclicProduct(RepetitionInfo info) {
        Random r = new Random(2000 + info.getCurrentRepetition());
        int n = 8 << r.nextInt(6); // 8 .. 256
        long q = randomPrime(r, n);
        Modulus m = new Modulus(q);
        Ntt ntt = new Ntt(n, m);
        long[] a = new long[n], b = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = randomBelow(r, q);
            b[i] = r.nextInt(4) == 0 ? q - 1 : randomBelow(r, q); // include maximal values
        }
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
        for (int i = 0; i < n; i++) {
            assertTrue(fa[i] >= 0 && fa[i] < q, "forward output reduced");
            fa[i] = m.mul(fa[i], fb[i]);
        }
        ntt.inverse(fa);
        assertArrayEquals(expect, fa, "N=" + n + " q=" + q);
        long[] back = a.clone();
        ntt.forward(back);
        ntt.inverse(back);
        assertArrayEquals(a, back, "round trip");
    }

    @Test
    void nttLayoutIsBitReversedOddPowersOfPsi() {
        // the Galois permutations of the NTT domain rely on index k holding a(psi^(2 brev(k) + 1))
        int n = 64;
        Modulus m = new Modulus(Primes.forBitSizes(n, new int[]{50})[0]);
        Ntt ntt = new Ntt(n, m);
        long[] x = new long[n];
        x[1] = 1;
        ntt.forward(x);
        for (int k = 0; k < n; k++) {
            int e = 2 * (Integer.reverse(k) >>> (32 - 6)) + 1;
            assertEquals(m.pow(ntt.psi(), e), x[k]);
        }
    }

    @RepeatedTest(12)
    void fastCrtToDoublesMatchesBigIntegerReconstruction(RepetitionInfo info) {
        Random r = new Random(3000 + info.getCurrentRepetition());
        int n = 64;
        int k = 1 + r.nextInt(4);
        int[] bits = new int[k];
        for (int i = 0; i < k; i++) bits[i] = 30 + r.nextInt(31);
        RingContext ring = new RingContext(n, Primes.forBitSizes(n, bits));
        long[][] p = new long[k][n];
        for (int j = 0; j < n; j++) {
            // half small signed values (the decryption case), half uniform over [0, Q)
            if (j % 2 == 0) {
                long v = r.nextLong() >> (r.nextInt(40));
                for (int i = 0; i < k; i++) p[i][j] = ring.modulus(i).reduceSigned(v);
            } else {
                for (int i = 0; i < k; i++) p[i][j] = randomBelow(r, ring.modulus(i).value());
            }
        }
        double scale = Math.pow(2, 20 + r.nextInt(30));
        BigInteger[] exact = ring.crtCentered(p);
        double[] fast = ring.crtCenteredDoubles(p, scale);
        for (int j = 0; j < n; j++) {
            double expect = new java.math.BigDecimal(exact[j]).doubleValue() / scale;
            assertEquals(expect, fast[j], Math.abs(expect) * 1e-14 + 1e-300, "coefficient " + j);
        }
    }

    @Test
    void gaussianSamplerHasTheRoundedGaussianMoments() {
        Sampler s = new Sampler();
        int count = 1 << 17;
        long[] g = new long[count];
        for (int off = 0; off < count; off += 8192) System.arraycopy(s.gaussian(8192), 0, g, off, 8192);
        double mean = 0, var = 0;
        int[] hist = new int[2 * Sampler.ERROR_BOUND + 1];
        for (long x : g) {
            assertTrue(Math.abs(x) <= Sampler.ERROR_BOUND);
            mean += x;
            var += x * x;
            hist[(int) x + Sampler.ERROR_BOUND]++;
        }
        mean /= count;
        var /= count;
        // round(N(0, 3.2^2)) has variance 3.2^2 + 1/12 = 10.32; the standard error of var at 2^17 samples is ~0.04
        assertEquals(0, mean, 0.05);
        assertEquals(10.32, var, 0.25);
        // P(0) = P(|N| < 1/2) = 0.1242; symmetric tails
        assertEquals(0.1242, hist[Sampler.ERROR_BOUND] / (double) count, 0.005);
        assertEquals(hist[Sampler.ERROR_BOUND + 3], hist[Sampler.ERROR_BOUND - 3], 0.06 * hist[Sampler.ERROR_BOUND + 3]);
    }

    /** The seed expansion must stay AES-256-CTR (IV = stream | prime index | 0, little-endian words, rejection). */
    @RepeatedTest(4)
    void seedExpansionIsAesCtrWithRejection(RepetitionInfo info) throws Exception {
        Random r = new Random(4000 + info.getCurrentRepetition());
        int n = 1024;
        RingContext ring = new RingContext(n, Primes.forBitSizes(n, new int[]{60, 40, 31}));
        byte[] seed = new byte[Sampler.SEED_BYTES];
        r.nextBytes(seed);
        long stream = r.nextLong();
        long[][] got = Sampler.uniformFromSeed(seed, stream, ring, new int[]{0, 1, 2});
        for (int l = 0; l < 3; l++) {
            long q = ring.modulus(l).value();
            long mask = (1L << ring.modulus(l).bits()) - 1;
            javax.crypto.Cipher aes = javax.crypto.Cipher.getInstance("AES/CTR/NoPadding");
            byte[] iv = java.nio.ByteBuffer.allocate(16).putLong(stream).putInt(l).putInt(0).array();
            aes.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(seed, "AES"), new javax.crypto.spec.IvParameterSpec(iv));
            java.nio.ByteBuffer ks = java.nio.ByteBuffer.wrap(aes.update(new byte[8 * 4 * n])).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int j = 0;
            while (j < n) {
                long v = ks.getLong() & mask;
                if (Long.compareUnsigned(v, q) < 0) assertEquals(v, got[l][j++], "limb " + l + " coefficient " + j);
            }
        }
    }
}
