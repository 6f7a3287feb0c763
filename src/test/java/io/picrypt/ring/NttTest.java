package io.picrypt.ring;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The fast transforms against the definition, evaluated naively in O(N^2): forward index k holds
 * a(psi^(2 brev(k) + 1)) (the layout automorphisms rely on), and the inverse interpolates back
 * (a_i = N^-1 sum_k A_k psi^-(2 brev(k) + 1) i). Covers every loop shape of {@link Ntt} (N = 8 takes the radix-4
 * inverse head, N = 16 the radix-8 blocks alone, larger N the stage loops; odd and even stage counts) and primes
 * from 20 bits to both ends of the 60-bit range (the lazy butterflies' bounds are tightest at q just below 2^60).
 */
class NttTest {

    /** Primes = 1 mod 2N: the largest of 20, 30, 40, 50, 59, 60 bits, and the smallest 60-bit one (just above 2^59). */
    private static List<Long> primes(int n) {
        List<Long> out = new ArrayList<>();
        for (int bits : new int[]{20, 30, 40, 50, 59, 60}) out.add(Primes.forBitSizes(n, new int[]{bits})[0]);
        long step = 2L * n, c = ((1L << 59) / step + 1) * step + 1;
        while (!BigInteger.valueOf(c).isProbablePrime(64)) c += step;
        assertEquals(60, 64 - Long.numberOfLeadingZeros(c));
        out.add(c);
        return out;
    }

    /** Forward transform by definition at the given output indices. */
    private static long[] naiveForward(long[] a, Modulus m, long psi, int[] indices) {
        int n = a.length, logN = Integer.numberOfTrailingZeros(n);
        long[] out = new long[indices.length];
        for (int s = 0; s < indices.length; s++) {
            int k = indices[s];
            long x = m.pow(psi, 2L * (Integer.reverse(k) >>> (32 - logN)) + 1), acc = 0;
            for (int i = n - 1; i >= 0; i--) acc = m.add(m.mul(acc, x), a[i]); // Horner
            out[s] = acc;
        }
        return out;
    }

    private static long[] naiveInverse(long[] v, Modulus m, long psi) {
        int n = v.length, logN = Integer.numberOfTrailingZeros(n);
        long psiInv = m.inverse(psi), nInv = m.inverse(n);
        long[] out = new long[n];
        for (int k = 0; k < n; k++) {
            long x = m.pow(psiInv, 2L * (Integer.reverse(k) >>> (32 - logN)) + 1), p = 1;
            for (int i = 0; i < n; i++) {
                out[i] = m.add(out[i], m.mul(v[k], p));
                p = m.mul(p, x);
            }
        }
        for (int i = 0; i < n; i++) out[i] = m.mul(out[i], nInv);
        return out;
    }

    private static int[] all(int n) {
        int[] k = new int[n];
        for (int i = 0; i < n; i++) k[i] = i;
        return k;
    }

    private static long[] input(Random r, int n, long q, int kind) {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = switch (kind) {
                case 0 -> Math.floorMod(r.nextLong(), q);
                case 1 -> q - 1; // every coefficient maximal
                default -> r.nextBoolean() ? q - 1 - r.nextInt(3) : r.nextInt(3); // extremes only
            };
        }
        return a;
    }

    @Test
    void forwardAndInverseEqualTheNaiveTransformForSizes8To1024() {
        Random r = new Random(16);
        for (int n = 8; n <= 1024; n <<= 1) {
            for (long q : primes(n)) {
                Modulus m = new Modulus(q);
                Ntt ntt = new Ntt(n, m);
                for (int kind = 0; kind < 3; kind++) {
                    long[] a = input(r, n, q, kind);
                    long[] f = a.clone();
                    ntt.forward(f);
                    String where = "N=" + n + " q=" + q + " input kind " + kind;
                    assertArrayEquals(naiveForward(a, m, ntt.psi(), all(n)), f, "forward " + where);
                    long[] v = input(r, n, q, kind);
                    long[] i = v.clone();
                    ntt.inverse(i);
                    assertArrayEquals(naiveInverse(v, m, ntt.psi()), i, "inverse " + where);
                }
            }
        }
    }

    @Test
    void lazyInputRangesGiveTheSameReducedOutputs() {
        // documented: forward accepts any values below 4q, inverse below 2q; outputs are always in [0, q)
        Random r = new Random(17);
        for (int n : new int[]{8, 16, 32, 64, 2048}) {
            for (long q : primes(n)) {
                Ntt ntt = new Ntt(n, new Modulus(q));
                long[] a = input(r, n, q, 0), lazyF = a.clone(), lazyI = a.clone();
                for (int i = 0; i < n; i++) {
                    lazyF[i] += q * r.nextInt(4);
                    lazyI[i] += q * r.nextInt(2);
                }
                long[] f = a.clone(), inv = a.clone();
                ntt.forward(f);
                ntt.forward(lazyF);
                ntt.inverse(inv);
                ntt.inverse(lazyI);
                assertArrayEquals(f, lazyF, "forward N=" + n + " q=" + q);
                assertArrayEquals(inv, lazyI, "inverse N=" + n + " q=" + q);
                for (int i = 0; i < n; i++) assertTrue(f[i] >= 0 && f[i] < q && inv[i] >= 0 && inv[i] < q);
            }
        }
    }

    @Test
    void productionSizeN8192AgreesWithTheDefinitionAndRoundTrips() {
        // the benchmarked size (13 stages): 96 output indices by definition, the inverse by round trip
        int n = 8192;
        Random r = new Random(18);
        for (int bits : new int[]{60, 40}) {
            long q = Primes.forBitSizes(n, new int[]{bits})[0];
            Modulus m = new Modulus(q);
            Ntt ntt = new Ntt(n, m);
            long[] a = input(r, n, q, 0);
            long[] f = a.clone();
            ntt.forward(f);
            int[] idx = r.ints(96, 0, n).toArray();
            long[] expect = naiveForward(a, m, ntt.psi(), idx);
            for (int s = 0; s < idx.length; s++) assertEquals(expect[s], f[idx[s]], "index " + idx[s] + " q=" + q);
            ntt.inverse(f);
            assertArrayEquals(a, f, "round trip q=" + q);
        }
    }
}
