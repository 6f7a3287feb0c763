package io.picrypt.ckks;

import io.picrypt.ring.Parallel;
import io.picrypt.ring.Primes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * End-to-end attacks on {@link ProductSum}'s Winograd path (8 or more lists) and its per-list terms: shared list objects,
 * terms computed for other moduli, several limbs, concurrent first uses, single-threaded runs, ring degrees 16 and 64,
 * the 7 / 8 lists boundary, and bad shapes as {@link CkksException}s. Every sum is compared word for word with the
 * evaluator's multiply + add.
 */
class ProductSumWinogradTest {
    /** A ciphertext at {@code level} with words below {@code bound_i} (every word bound_i - 1 for seed -1). */
    private static Ciphertext words(int n, int level, long[] bound, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[][][] comps = new long[2][level + 1][n];
        for (int c = 0; c < 2; c++) for (int i = 0; i <= level; i++) for (int t = 0; t < n; t++) comps[c][i][t] = seed == -1 ? bound[i] - 1 : r.nextLong(bound[i]);
        return Ciphertext.fromComponents(comps, 0x1p30);
    }

    private static long[] moduli(CkksParameters p) {
        long[] q = new long[p.maxLevel() + 1];
        for (int i = 0; i < q.length; i++) q[i] = p.ring().modulus(i).value();
        return q;
    }

    private static List<Ciphertext[]> lists(int n, int count, int len, int level, long[] bound, SplittableRandom r) {
        List<Ciphertext[]> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            Ciphertext[] a = new Ciphertext[len];
            for (int j = 0; j < len; j++) a[j] = words(n, level, bound, k == 0 ? -1 : r.nextLong());
            out.add(a);
        }
        return out;
    }

    /** got[k] equals sum_j as[k][j] (x) bs[j] by the evaluator, every component and limb. */
    private static void assertSums(CkksParameters p, List<Ciphertext[]> as, List<Ciphertext> bs, Ciphertext[] got, String what) {
        Evaluator ev = new Evaluator(p);
        assertEquals(as.size(), got.length, what);
        for (int k = 0; k < as.size(); k++) {
            Ciphertext want = ev.multiply(as.get(k)[0], bs.get(0));
            for (int j = 1; j < bs.size(); j++) want = ev.add(want, ev.multiply(as.get(k)[j], bs.get(j)));
            assertEquals(3, got[k].size());
            assertEquals(want.level(), got[k].level());
            for (int c = 0; c < 3; c++) for (int i = 0; i <= want.level(); i++) {
                assertArrayEquals(want.component(c)[i], got[k].component(c)[i], what + " list " + k + " component " + c + " limb " + i);
            }
        }
    }

    /**
     * 9 and 17 entries over 3 distinct list objects (the same object several times, in and across task groups), at ring
     * degrees 16 and 64, levels 0-2, lengths 1, 2, 3, 31-33 (around 2 hiTerms of a 60-bit prime) and 129 (q0-sized
     * groups), threaded and single-threaded: equal to the evaluator.
     */
    @Test
    void sharedListObjectsAtEveryShape() {
        boolean was = Parallel.enabled();
        try {
            for (int n : new int[]{16, 64}) {
                CkksParameters p = CkksParameters.of(n, Primes.forBitSizes(n, new int[]{60, 58, 60, 60}), true, 0x1p30, true);
                long[] q = moduli(p);
                SplittableRandom r = new SplittableRandom(n);
                for (int len : new int[]{1, 2, 3, 31, 32, 33, 129}) for (int level = 0; level <= 2; level++) {
                    if (len == 129 && level != 1) continue; // q0-like 58-bit limb at level 1: hiTerms 64, two groups and an odd last one
                    List<Ciphertext[]> distinct = lists(n, 3, len, level, q, r);
                    List<OffHeapCiphertexts> off = distinct.stream().map(OffHeapCiphertexts::of).toList();
                    List<Ciphertext> bs = new ArrayList<>();
                    for (int j = 0; j < len; j++) bs.add(words(n, level, q, j % 4 == 0 ? -1 : r.nextLong()));
                    for (int entries : new int[]{9, 17}) {
                        List<OffHeapCiphertexts> as = new ArrayList<>();
                        List<Ciphertext[]> plain = new ArrayList<>();
                        for (int k = 0; k < entries; k++) {
                            int d = k % 5 == 0 ? 0 : k % 3; // object 0 at 0, 5, 10, 15 and whenever k % 3 == 0
                            as.add(off.get(d));
                            plain.add(distinct.get(d));
                        }
                        for (boolean parallel : new boolean[]{true, false}) {
                            Parallel.setEnabled(parallel);
                            assertSums(p, plain, bs, ProductSum.sums(p, as, bs), "n " + n + " len " + len + " level " + level + " entries " + entries + " parallel " + parallel);
                        }
                    }
                }
            }
        } finally {
            Parallel.setEnabled(was);
        }
    }

    /**
     * Terms kept for one set of moduli are never used for another: a list prepared under P1 and summed under P2 (same
     * degree, other primes; words below both) is recomputed (isPrepared follows), and back under P1 recomputed again.
     * Reusing P1's terms under P2 would give wrong words, which the evaluator comparison catches.
     */
    @Test
    void termsForOtherModuliAreRecomputedNotReused() {
        int n = 16, len = 5, level = 1;
        CkksParameters p1 = CkksParameters.of(n, Primes.forBitSizes(n, new int[]{60, 60, 60}), true, 0x1p30, true);
        CkksParameters p2 = CkksParameters.of(n, Primes.forBitSizes(n, new int[]{50, 52, 60}), true, 0x1p30, true);
        long[] q1 = moduli(p1), q2 = moduli(p2), low = {Math.min(q1[0], q2[0]), Math.min(q1[1], q2[1])};
        SplittableRandom r = new SplittableRandom(5);
        List<Ciphertext[]> plain = lists(n, ProductSum.WINOGRAD_MIN_LISTS, len, level, low, r);
        List<OffHeapCiphertexts> as = plain.stream().map(OffHeapCiphertexts::of).toList();
        List<Ciphertext> bs = new ArrayList<>();
        for (int j = 0; j < len; j++) bs.add(words(n, level, low, r.nextLong()));
        for (OffHeapCiphertexts a : as) ProductSum.prepare(p1, a);
        assertTrue(ProductSum.isPrepared(p1, as.get(0)));
        assertFalse(ProductSum.isPrepared(p2, as.get(0)));
        assertSums(p2, plain, bs, ProductSum.sums(p2, as, bs), "under P2 after preparing for P1");
        assertTrue(ProductSum.isPrepared(p2, as.get(0)));
        assertFalse(ProductSum.isPrepared(p1, as.get(0)), "one set of terms is kept");
        assertSums(p1, plain, bs, ProductSum.sums(p1, as, bs), "back under P1");
        assertTrue(ProductSum.isPrepared(p1, as.get(3)));
    }

    /**
     * Several threads sum the same unprepared lists at once (each list's terms computed under its lock, by whichever
     * thread comes first, the others waiting): every thread gets the evaluator's words, nothing deadlocks (2 minutes).
     */
    @Test
    void concurrentFirstSumsOfUnpreparedListsAgree() throws Exception {
        int n = 64, len = 6, level = 2, threads = 4;
        CkksParameters p = CkksParameters.of(n, Primes.forBitSizes(n, new int[]{60, 58, 59, 60}), true, 0x1p30, true);
        SplittableRandom r = new SplittableRandom(7);
        List<Ciphertext[]> plain = lists(n, 11, len, level, moduli(p), r);
        List<Ciphertext> bs = new ArrayList<>();
        for (int j = 0; j < len; j++) bs.add(words(n, level, moduli(p), r.nextLong()));
        for (boolean parallel : new boolean[]{true, false}) {
            boolean was = Parallel.enabled();
            Parallel.setEnabled(parallel);
            List<OffHeapCiphertexts> off = plain.stream().map(OffHeapCiphertexts::of).toList();
            // each thread its own order of the same objects (locks taken in different orders)
            List<List<OffHeapCiphertexts>> orders = new ArrayList<>();
            List<List<Ciphertext[]>> plainOrders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<Integer> idx = new ArrayList<>();
                for (int k = 0; k < off.size(); k++) idx.add((k * (t + 1) + t) % off.size());
                if (t % 2 == 1) java.util.Collections.reverse(idx);
                orders.add(idx.stream().map(off::get).toList());
                plainOrders.add(idx.stream().map(plain::get).toList());
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Ciphertext[]>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    List<OffHeapCiphertexts> as = orders.get(t);
                    fs.add(pool.submit(() -> {
                        start.await();
                        return ProductSum.sums(p, as, bs);
                    }));
                }
                start.countDown();
                for (int t = 0; t < threads; t++) assertSums(p, plainOrders.get(t), bs, fs.get(t).get(2, TimeUnit.MINUTES), "thread " + t + " parallel " + parallel);
                for (OffHeapCiphertexts a : off) assertTrue(ProductSum.isPrepared(p, a));
            } finally {
                pool.shutdownNow();
                Parallel.setEnabled(was);
            }
        }
    }

    /** 7 lists (direct products) and the same 7 plus one (Winograd's pairing) give the same words for the 7. */
    @Test
    void sevenAndEightListsAgree() {
        for (int n : new int[]{16, 64}) {
            CkksParameters p = CkksParameters.of(n, Primes.forBitSizes(n, new int[]{60, 60, 60}), true, 0x1p30, true);
            SplittableRandom r = new SplittableRandom(11 + n);
            for (int len : new int[]{1, 2, 7, 40}) {
                List<Ciphertext[]> plain = lists(n, ProductSum.WINOGRAD_MIN_LISTS, len, 1, moduli(p), r);
                List<OffHeapCiphertexts> off = plain.stream().map(OffHeapCiphertexts::of).toList();
                List<Ciphertext> bs = new ArrayList<>();
                for (int j = 0; j < len; j++) bs.add(words(n, 1, moduli(p), j == 0 ? -1 : r.nextLong()));
                Ciphertext[] seven = ProductSum.sums(p, off.subList(0, ProductSum.WINOGRAD_MIN_LISTS - 1), bs);
                assertFalse(ProductSum.isPrepared(p, off.get(0)), "the direct kernel needs no per-list terms");
                Ciphertext[] eight = ProductSum.sums(p, off, bs);
                assertTrue(ProductSum.isPrepared(p, off.get(0)));
                assertSums(p, plain, bs, eight, "eight lists, n " + n + " len " + len);
                for (int k = 0; k < seven.length; k++) for (int c = 0; c < 3; c++) for (int i = 0; i <= 1; i++) {
                    assertArrayEquals(eight[k].component(c)[i], seven[k].component(c)[i], "n " + n + " len " + len + " list " + k);
                }
            }
        }
    }

    /**
     * Bad shapes are CkksExceptions thrown before any task, for both kernels (1 and 8 lists) and for prepare: a list and
     * probe at a level past the data primes (the special prime's index, and beyond every prime), lists and probes of
     * another ring degree, a right-hand ciphertext whose c1 has fewer limbs or a shorter limb than its c0.
     */
    @Test
    void badShapesAreCkksExceptionsForBothKernels() {
        int n = 16;
        CkksParameters p = CkksParameters.of(n, Primes.forBitSizes(n, new int[]{60, 60, 60}), true, 0x1p30, true); // levels 0, 1
        CkksParameters wide = CkksParameters.of(n, Primes.forBitSizes(n, new int[]{60, 60, 60, 60, 60}), true, 0x1p30, true); // levels 0-3
        CkksParameters big = CkksParameters.of(64, Primes.forBitSizes(64, new int[]{60, 60, 60}), true, 0x1p30, true);
        long[] qw = moduli(wide), qb = moduli(big);
        for (int lists : new int[]{1, ProductSum.WINOGRAD_MIN_LISTS}) {
            for (int level : new int[]{2, 3}) { // 2: the special prime's index in p's ring; 3: past every prime
                Ciphertext c = words(n, level, qw, 1);
                List<OffHeapCiphertexts> as = java.util.Collections.nCopies(lists, OffHeapCiphertexts.of(c, c));
                CkksException e = assertThrows(CkksException.class, () -> ProductSum.sums(p, as, List.of(c, c)), "level " + level + " lists " + lists);
                assertTrue(e.getMessage().contains("level"), e.getMessage());
                assertThrows(CkksException.class, () -> ProductSum.prepare(p, as.get(0)));
                assertFalse(ProductSum.isPrepared(p, as.get(0)));
            }
            Ciphertext small = words(n, 1, moduli(p), 2), large = words(64, 1, qb, 3);
            List<OffHeapCiphertexts> smallLists = java.util.Collections.nCopies(lists, OffHeapCiphertexts.of(small));
            List<OffHeapCiphertexts> largeLists = java.util.Collections.nCopies(lists, OffHeapCiphertexts.of(large));
            assertThrows(CkksException.class, () -> ProductSum.sums(p, largeLists, List.of(small)), "list of another degree");
            assertThrows(CkksException.class, () -> ProductSum.sums(p, smallLists, List.of(large)), "probe of another degree");
            assertThrows(CkksException.class, () -> ProductSum.prepare(p, largeLists.get(0)));
            assertFalse(ProductSum.isPrepared(p, largeLists.get(0)));
            long[][][] fewer = {small.component(0), new long[][]{small.component(1)[0]}};
            long[][][] shorter = {small.component(0), new long[][]{small.component(1)[0], new long[n / 2]}};
            for (long[][][] comps : new long[][][][]{fewer, shorter}) {
                Ciphertext ragged = Ciphertext.fromComponents(comps, small.scale());
                assertThrows(CkksException.class, () -> ProductSum.sums(p, smallLists, List.of(ragged)), "ragged right-hand ciphertext, lists " + lists);
            }
        }
    }
}
