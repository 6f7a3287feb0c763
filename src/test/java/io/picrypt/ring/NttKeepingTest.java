package io.picrypt.ring;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Ntt#inverseKeeping} equals {@link Ntt#inverse} at every kept index, for every stage mix it can take. */
class NttKeepingTest {

    private static long smallest60BitPrime(int n) {
        long step = 2L * n, c = ((1L << 59) / step + 1) * step + 1;
        while (!BigInteger.valueOf(c).isProbablePrime(64)) c += step;
        return c;
    }

    @Test
    void keptIndicesEqualTheFullInverse() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[]{32, 64, 1024, 8192}) {
            for (long q : new long[]{Primes.forBitSizes(n, new int[]{58})[0], Primes.forBitSizes(n, new int[]{60})[0], smallest60BitPrime(n)}) {
                Ntt ntt = new Ntt(n, new Modulus(q));
                for (int period = 16; period <= n; period <<= 1) {
                    for (int kept = 16; kept <= period; kept <<= 1) {
                        for (int trial = 0; trial < (n == 8192 ? 2 : 3); trial++) {
                            long[] a = new long[n];
                            for (int j = 0; j < n; j++) {
                                // extremes (q - 1, 0) in the first trial: the lazy bounds are tightest there
                                a[j] = trial == 0 ? (j % 3 == 0 ? q - 1 : j % 3 == 1 ? 0 : r.nextLong(q)) : r.nextLong(q);
                            }
                            long[] want = a.clone(), got = a.clone();
                            ntt.inverse(want);
                            ntt.inverseKeeping(got, period, kept);
                            for (int j = 0; j < n; j++) {
                                if (j % period < kept) assertEquals(want[j], got[j], "N " + n + " q " + q + " period " + period + " kept " + kept + " j " + j);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void badArgumentsAreRefused() {
        Ntt ntt = new Ntt(1024, new Modulus(Primes.forBitSizes(1024, new int[]{50})[0]));
        long[] a = new long[1024];
        assertThrows(IllegalArgumentException.class, () -> ntt.inverseKeeping(a, 512, 8));
        assertThrows(IllegalArgumentException.class, () -> ntt.inverseKeeping(a, 64, 128));
        assertThrows(IllegalArgumentException.class, () -> ntt.inverseKeeping(a, 2048, 128));
        assertThrows(IllegalArgumentException.class, () -> ntt.inverseKeeping(a, 512, 100));
        Ntt small = new Ntt(16, new Modulus(Primes.forBitSizes(16, new int[]{30})[0]));
        assertThrows(IllegalArgumentException.class, () -> small.inverseKeeping(new long[16], 16, 16));
    }
}
