package io.picrypt.ckks;

import io.picrypt.ring.Primes;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

class CompactCiphertextTest {
    static final int N = 8192;
    static final CkksParameters P = CkksParameters.of(N, Primes.forBitSizes(N, new int[]{58, 50, 60}), true, 0x1p28, false);

    @Test
    void roundingIsExactAgainstBigIntegers() {
        SplittableRandom r = new SplittableRandom(1);
        long q = P.dataPrime(0);
        BigInteger bq = BigInteger.valueOf(q);
        for (int i = 0; i < 200_000; i++) {
            long c = i < 4 ? new long[]{0, 1, q - 1, q / 2}[i] : r.nextLong(q);
            int k = 1 + r.nextInt(30);
            // floor((c 2^k + floor(q/2)) / q)
            long want = BigInteger.valueOf(c).shiftLeft(k).add(bq.shiftRight(1)).divide(bq).longValueExact();
            assertEquals(want, CompactCiphertext.roundScaled(c, k, q), "c=" + c + " k=" + k);
        }
    }

    @Test
    void switchedDecryptionIsWithinTheProvedBoundAndSurvivesTheWire() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        Encoder enc = new Encoder(P);
        Encryptor en = new Encryptor(P);
        Decryptor dec = new Decryptor(P, sk);
        SplittableRandom r = new SplittableRandom(2);
        int[] positions = IntStream.range(0, N).filter(i -> i % 4 == 1).toArray();
        double scale = 0x1p55;
        for (int trial = 0; trial < 3; trial++) {
            double[] m = new double[N];
            for (int i = 0; i < N; i++) m[i] = r.nextDouble(-1.0, 1.0);
            Ciphertext ct = en.encryptSymmetric(enc.encodeCoefficients(m, scale, 0), sk);
            double[] exact = dec.decryptCoefficients(ct);
            int logT0 = 20 + trial, logT1 = 28;
            CompactCiphertext c = CompactCiphertext.switchDown(ct, P, positions, logT0, logT1);
            assertEquals(scale * Math.scalb(1.0, logT1) / P.dataPrime(0), c.scale(), 1e-6 * c.scale());
            ByteBuffer b = ByteBuffer.allocate((int) CompactCiphertext.bytes(N, positions.length, logT0, logT1));
            c.write(b);
            assertFalse(b.hasRemaining());
            CompactCiphertext back = CompactCiphertext.read(b.flip(), P, positions.length, logT0, logT1, c.scale());
            assertEquals(c, back);
            double[] got = back.decrypt(sk, positions);
            double bound = c.switchingErrorBound(sk), maxErr = 0, sumSq = 0;
            assertTrue(bound <= CompactCiphertext.worstSwitchingError(N, logT0, logT1, c.scale()));
            for (int j = 0; j < positions.length; j++) {
                double e = got[j] - exact[positions[j]];
                maxErr = Math.max(maxErr, Math.abs(e));
                sumSq += e * e;
            }
            assertTrue(maxErr <= bound, "max error " + maxErr + " > proved bound " + bound);
            // rounding errors are about uniform in [-1/2, 1/2]: rms ~ sqrt(((t1/t0)^2 + ||s||^2) / 12), far below the worst case
            long l1 = 0;
            for (long v : sk.coeffs) l1 += Math.abs(v);
            double expected = Math.sqrt((Math.pow(2, 2 * (logT1 - logT0)) + l1) / 12);
            double rms = Math.sqrt(sumSq / positions.length) * c.scale();
            assertEquals(1.0, rms / expected, 0.15, "rms of the switch in units of the switched scale: " + rms + ", expected " + expected);
        }
    }

    @Test
    void misuseIsAClearError() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        Ciphertext ct = new Encryptor(P).encryptSymmetric(new Encoder(P).encodeCoefficients(new double[N], 0x1p40, 1), sk);
        assertThrows(CkksException.class, () -> CompactCiphertext.switchDown(ct, P, new int[]{0}, 20, 28)); // level 1
        Ciphertext c0 = new Encryptor(P).encryptSymmetric(new Encoder(P).encodeCoefficients(new double[N], 0x1p40, 0), sk);
        assertThrows(CkksException.class, () -> CompactCiphertext.switchDown(c0, P, new int[]{3, 3}, 20, 28));
        assertThrows(CkksException.class, () -> CompactCiphertext.switchDown(c0, P, new int[]{N}, 20, 28));
        assertThrows(CkksException.class, () -> CompactCiphertext.switchDown(c0, P, new int[]{0}, 29, 28));
        assertThrows(CkksException.class, () -> CompactCiphertext.switchDown(c0, P, new int[]{0}, 20, 46)); // t1 N >= q0/2
        CompactCiphertext c = CompactCiphertext.switchDown(c0, P, new int[]{0, 5}, 20, 28);
        ByteBuffer b = ByteBuffer.allocate((int) CompactCiphertext.bytes(N, 2, 20, 28));
        c.write(b);
        byte[] bytes = b.array();
        assertThrows(CkksException.class, () -> CompactCiphertext.read(ByteBuffer.wrap(bytes, 0, bytes.length - 1), P, 2, 20, 28, 1.0));
        assertThrows(CkksException.class, () -> c.decrypt(sk, new int[]{0}));
    }
}
