package io.picrypt.ckks;

import io.picrypt.ring.Primes;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class OffHeapCiphertextsTest {
    static final CkksParameters P = CkksParameters.of(1024, Primes.forBitSizes(1024, new int[]{58, 50, 60}), true, 0x1p28, true);

    private static List<Ciphertext> fresh(int count, int level, double scale, long seed) {
        SecretKey sk = new KeyGenerator(P).secretKey();
        Encoder enc = new Encoder(P);
        Encryptor en = new Encryptor(P);
        SplittableRandom r = new SplittableRandom(seed);
        List<Ciphertext> out = new ArrayList<>();
        for (int j = 0; j < count; j++) {
            double[] m = new double[P.n()];
            for (int i = 0; i < m.length; i++) m[i] = r.nextDouble(-1, 1);
            out.add(en.encryptSymmetric(enc.encodeCoefficients(m, scale, level), sk));
        }
        return out;
    }

    /**
     * Edge shapes of the row-major layout and its transposing copies, threaded and single-threaded: ring degree 16 (fewer
     * rows than ROWS) and 64 (two tiles of rows), three limbs, one ciphertext and 33. Every word of the buffer is where
     * the layout says (copyRows over all rows of every limb), and ciphertext(j) and ciphertexts() give the inputs back;
     * 8 lists built at once from fork-join tasks (nested parallel fills) come back whole too.
     */
    @Test
    void edgeShapesRoundTripThroughTheRowMajorLayout() throws Exception {
        boolean was = io.picrypt.ring.Parallel.enabled();
        try {
            for (int n : new int[]{16, 64}) {
                CkksParameters p = CkksParameters.of(n, Primes.forBitSizes(n, new int[]{60, 60, 60, 60}), true, 0x1p30, true);
                for (int count : new int[]{1, 33}) for (boolean parallel : new boolean[]{true, false}) {
                    io.picrypt.ring.Parallel.setEnabled(parallel);
                    String at = "n " + n + " count " + count + " parallel " + parallel;
                    List<Ciphertext> cts = new ArrayList<>();
                    SplittableRandom r = new SplittableRandom(count * 31L + n);
                    for (int j = 0; j < count; j++) {
                        long[][][] comps = new long[2][3][n];
                        for (int c = 0; c < 2; c++) for (int i = 0; i < 3; i++) {
                            long q = p.ring().modulus(i).value();
                            for (int k = 0; k < n; k++) comps[c][i][k] = j % 2 == 0 ? q - 1 - r.nextLong(8) : r.nextLong(q);
                        }
                        cts.add(Ciphertext.fromComponents(comps, 0x1p30));
                    }
                    OffHeapCiphertexts off = OffHeapCiphertexts.of(cts);
                    assertEquals(2, off.level(), at);
                    assertEquals(n, off.ringDegree(), at);
                    long[] rows = new long[n * 2 * count];
                    for (int i = 0; i < 3; i++) {
                        off.copyRows(i, 0, n, rows);
                        for (int k = 0; k < n; k++) for (int j = 0; j < count; j++) for (int c = 0; c < 2; c++) {
                            assertEquals(cts.get(j).component(c)[i][k], rows[(k * count + j) * 2 + c], at + " limb " + i + " row " + k + " ct " + j + " comp " + c);
                        }
                    }
                    List<Ciphertext> all = off.ciphertexts();
                    assertEquals(count, all.size());
                    for (int j = 0; j < count; j++) for (int c = 0; c < 2; c++) for (int i = 0; i < 3; i++) {
                        assertArrayEquals(cts.get(j).component(c)[i], all.get(j).component(c)[i], at + " ciphertexts() " + j);
                        assertArrayEquals(cts.get(j).component(c)[i], off.ciphertext(j).component(c)[i], at + " ciphertext(" + j + ")");
                    }
                    // lists filled from several fork-join tasks at once, then read on this thread
                    List<OffHeapCiphertexts> many = java.util.stream.IntStream.range(0, 8).parallel().mapToObj(t -> OffHeapCiphertexts.of(cts)).toList();
                    for (OffHeapCiphertexts o : many) {
                        List<Ciphertext> back = o.ciphertexts();
                        for (int j = 0; j < count; j++) for (int c = 0; c < 2; c++) for (int i = 0; i < 3; i++) {
                            assertArrayEquals(cts.get(j).component(c)[i], back.get(j).component(c)[i], at + " concurrent fill " + j);
                        }
                    }
                }
            }
        } finally {
            io.picrypt.ring.Parallel.setEnabled(was);
        }
    }

    /** Every ciphertext comes back word for word, with its scale and its seed (serialized bytes equal, seeded and not). */
    @Test
    void roundTripKeepsWordsScaleAndSeeds() {
        for (int level = 0; level <= 1; level++) {
            List<Ciphertext> cts = new ArrayList<>(fresh(5, level, 0x1p20, level));
            cts.set(2, new Evaluator(P).add(cts.get(2), cts.get(3))); // not seeded
            OffHeapCiphertexts off = OffHeapCiphertexts.of(cts);
            assertEquals(5, off.count());
            assertEquals(level, off.level());
            assertEquals(0x1p20, off.scale());
            assertEquals(16L * 5 * (level + 1) * P.n(), off.offHeapBytes());
            for (int j = 0; j < 5; j++) {
                Ciphertext back = off.ciphertext(j);
                assertEquals(j != 2, off.isSeeded(j));
                assertEquals(cts.get(j).isSeeded(), back.isSeeded());
                assertEquals(cts.get(j).scale(), back.scale());
                for (int c = 0; c < 2; c++) for (int i = 0; i <= level; i++) assertArrayEquals(cts.get(j).component(c)[i], back.component(c)[i]);
                assertArrayEquals(Serializer.writeCiphertext(cts.get(j), P), Serializer.writeCiphertext(back, P));
            }
            List<Ciphertext> all = off.ciphertexts(); // the transposing copy equals the per-ciphertext one
            assertEquals(5, all.size());
            for (int j = 0; j < 5; j++) assertArrayEquals(Serializer.writeCiphertext(cts.get(j), P), Serializer.writeCiphertext(all.get(j), P));
            // row-major layout: row k holds c0, c1 of every ciphertext in order
            long[] rows = new long[3 * 2 * 5];
            off.copyRows(level, 7, 3, rows);
            for (int r = 0; r < 3; r++) for (int j = 0; j < 5; j++) for (int c = 0; c < 2; c++) {
                assertEquals(cts.get(j).component(c)[level][7 + r], rows[(r * 5 + j) * 2 + c]);
            }
            assertThrows(IndexOutOfBoundsException.class, () -> off.ciphertext(5));
            assertThrows(IndexOutOfBoundsException.class, () -> off.isSeeded(-1));
        }
    }

    /** The column data is in the JVM's direct buffer pool, not the heap: the pool grows by exactly offHeapBytes. */
    @Test
    void wordsLiveInTheDirectBufferPool() {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        long before = direct.getMemoryUsed();
        OffHeapCiphertexts z = OffHeapCiphertexts.zeros(P, 64, 1, 0x1p20);
        assertEquals(64L * 2 * 2 * 1024 * 8, z.offHeapBytes());
        assertTrue(direct.getMemoryUsed() - before >= z.offHeapBytes(), "direct pool grew by " + (direct.getMemoryUsed() - before));
        Ciphertext c = z.ciphertext(63);
        assertFalse(c.isSeeded());
        for (long[] limb : c.component(1)) for (long w : limb) assertEquals(0, w);
        assertNotNull(z.toString());
    }

    @Test
    void invalidListsAreClearErrors() {
        List<Ciphertext> l1 = fresh(2, 1, 0x1p20, 4);
        Ciphertext l0 = fresh(1, 0, 0x1p20, 5).get(0), s21 = fresh(1, 1, 0x1p21, 6).get(0);
        assertThrows(CkksException.class, () -> OffHeapCiphertexts.of(List.of()));
        assertThrows(CkksException.class, () -> OffHeapCiphertexts.of(l1.get(0), l0));                               // levels
        assertThrows(CkksException.class, () -> OffHeapCiphertexts.of(l1.get(0), s21));                              // scales
        assertThrows(CkksException.class, () -> OffHeapCiphertexts.of(new Evaluator(P).multiply(l1.get(0), l1.get(1)))); // 3 components
        assertThrows(CkksException.class, () -> OffHeapCiphertexts.zeros(P, 0, 0, 0x1p20));
        assertThrows(CkksException.class, () -> OffHeapCiphertexts.zeros(P, 1, 3, 0x1p20));
        assertThrows(CkksException.class, () -> OffHeapCiphertexts.zeros(P, 1 << 20, 2, 0x1p20)); // 48 GiB: more than one buffer
    }

    /**
     * Copy-on-write does not grow direct memory without bound: a JVM limited to 64 MiB of direct memory replaces a
     * 16 MiB list 64 times as an enrollment does (copied onto the heap, added to, written into a new buffer; 1 GiB
     * allocated in all); it succeeds because an allocation over the limit runs a GC and
     * waits for the old buffers' cleaners. Fails (OutOfMemoryError, exit 1) if old buffers were kept reachable.
     */
    @Test
    void replacedListsAreFreedWithinTheDirectMemoryLimit() throws Exception {
        Process p = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-Xmx256m", "-XX:MaxDirectMemorySize=64m", "-cp", System.getProperty("java.class.path"), Churn.class.getName(), "64")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("replaced 64, word 64"), out);
    }

    /** The child of {@link #replacedListsAreFreedWithinTheDirectMemoryLimit}: replaces one 16 MiB gallery-sized list. */
    public static final class Churn {
        public static void main(String[] args) {
            CkksParameters p = CkksParameters.of(8192, Primes.forBitSizes(8192, new int[]{58, 50}), false, 0x1p28, true);
            OffHeapCiphertexts cur = OffHeapCiphertexts.zeros(p, 128, 0, 0x1p40);
            List<Ciphertext> one = new ArrayList<>();
            long[][][] ones = new long[2][1][8192];
            java.util.Arrays.fill(ones[0][0], 1);
            for (int j = 0; j < 128; j++) one.add(Ciphertext.fromComponents(ones, 0x1p40));
            int n = Integer.parseInt(args[0]);
            Evaluator ev = new Evaluator(p);
            for (int i = 0; i < n; i++) {
                OffHeapCiphertexts old = cur;
                cur = OffHeapCiphertexts.of(java.util.stream.IntStream.range(0, 128).mapToObj(j -> ev.add(old.ciphertext(j), one.get(j))).toList());
            }
            System.out.println("replaced " + n + ", word " + cur.ciphertext(5).component(0)[0][7]);
        }
    }
}
