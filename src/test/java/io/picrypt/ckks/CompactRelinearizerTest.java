package io.picrypt.ckks;

import io.picrypt.ring.Primes;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/** The fused relinearization + switch-down against the two-step path it replaces (relinearize, then switchDown). */
class CompactRelinearizerTest {
    static final int N = 8192;
    static final CkksParameters P = CompactCiphertextTest.P; // the 1:N gallery's primes: q0 58 bits, q1 50, P 60
    /** The gallery's kept positions (slot s at 512 (s / 128) + s % 128). */
    static final int[] GALLERY_POSITIONS = IntStream.range(0, 2048).map(s -> 512 * (s / 128) + s % 128).toArray();

    private static Ciphertext random3(SplittableRandom r, long q, int kind) {
        long[][][] c = new long[3][1][N];
        for (long[][] comp : c) {
            for (int j = 0; j < N; j++) {
                comp[0][j] = switch (kind) {
                    case 0 -> 0;
                    case 1 -> q - 1;
                    case 2 -> j % 2 == 0 ? q - 1 : r.nextLong(2); // extremes next to small values
                    default -> r.nextLong(q);
                };
            }
        }
        return Ciphertext.fromComponents(c, 0x1p55);
    }

    private static byte[] twoStep(Evaluator ev, RelinKey rk, Ciphertext ct, int[] positions, int logT0, int logT1) {
        CompactCiphertext c = CompactCiphertext.switchDown(ev.relinearize(ct, rk), P, positions, logT0, logT1);
        ByteBuffer b = ByteBuffer.allocate((int) CompactCiphertext.bytes(N, positions.length, logT0, logT1));
        c.write(b);
        assertFalse(b.hasRemaining());
        return b.array();
    }

    private static byte[] fused(CompactRelinearizer f, Ciphertext ct) {
        ByteBuffer b = ByteBuffer.allocate((int) f.bytes());
        f.write(ct, b);
        assertFalse(b.hasRemaining());
        return b.array();
    }

    @Test
    void relinearizedCoefficientsEqualTheKeySwitchersWordForWord() {
        // bytes alone would hide an off-by-one mod q0 (it moves a 28-bit rounding with probability ~2^-30): compare the
        // 58-bit words before the switch-down
        SecretKey sk = new KeyGenerator(P).secretKey();
        RelinKey rk = new KeyGenerator(P).relinKey(sk);
        Evaluator ev = new Evaluator(P);
        long q = P.dataPrime(0);
        SplittableRandom r = new SplittableRandom(4);
        // every position kept (the full transforms), and the gallery's (c0's transforms pruned to them)
        CompactRelinearizer all = new CompactRelinearizer(P, rk, IntStream.range(0, N).toArray(), 20, 28);
        CompactRelinearizer gallery = new CompactRelinearizer(P, rk, GALLERY_POSITIONS, 20, 28);
        for (int kind = 0; kind < 6; kind++) {
            Ciphertext ct = random3(r, q, kind);
            Ciphertext relin = ev.relinearize(ct, rk);
            long[][] want = new long[2][];
            for (int k = 0; k < 2; k++) {
                want[k] = relin.comps[k][0].clone();
                P.ring().ntt(0).inverse(want[k]);
            }
            long[][] got = all.coefficients(ct);
            assertArrayEquals(want[0], got[0], "c0, input kind " + kind);
            assertArrayEquals(want[1], got[1], "c1, input kind " + kind);
            long[][] pruned = gallery.coefficients(ct);
            assertArrayEquals(want[1], pruned[1], "c1 (never pruned), input kind " + kind);
            for (int p : GALLERY_POSITIONS) assertEquals(want[0][p], pruned[0][p], "c0 at kept position " + p + ", input kind " + kind);
        }
    }

    @Test
    void keptPatternCoversThePositionsWithTheSmallestShare() {
        assertArrayEquals(new int[]{512, 128}, CompactRelinearizer.keptPattern(GALLERY_POSITIONS, N));
        assertArrayEquals(new int[]{N, N}, CompactRelinearizer.keptPattern(IntStream.range(0, N).filter(i -> i % 3 == 2).toArray(), N));
        assertArrayEquals(new int[]{N, 16}, CompactRelinearizer.keptPattern(new int[]{0, 5}, N));
        assertArrayEquals(new int[]{N, 4096}, CompactRelinearizer.keptPattern(new int[]{0, 16, 32, 4095}, N));
        assertArrayEquals(new int[]{1024, 32}, CompactRelinearizer.keptPattern(new int[]{3, 1024 + 17, 4096 + 31}, N));
        assertArrayEquals(new int[]{16, 16}, CompactRelinearizer.keptPattern(new int[]{1, 2}, 16));
    }

    @Test
    void bytesEqualTheTwoStepPathWordForWord() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        RelinKey rk = new KeyGenerator(P).relinKey(sk);
        Evaluator ev = new Evaluator(P);
        long q = P.dataPrime(0);
        SplittableRandom r = new SplittableRandom(5);
        int[] everyThird = IntStream.range(0, N).filter(i -> i % 3 == 2).toArray();
        int[] sparse = {3, 1024 + 17, 4096 + 31, 5120 + 2}; // kept pattern (1024, 32)
        for (int[] widths : new int[][]{{20, 28}, {17, 30}, {28, 28}}) {
            for (int[] positions : List.of(GALLERY_POSITIONS, everyThird, sparse)) {
                CompactRelinearizer f = new CompactRelinearizer(P, rk, positions, widths[0], widths[1]);
                for (int kind = 0; kind < 5; kind++) {
                    Ciphertext ct = random3(r, q, kind);
                    assertArrayEquals(twoStep(ev, rk, ct, positions, widths[0], widths[1]), fused(f, ct),
                            "widths " + Arrays.toString(widths) + ", input kind " + kind);
                }
            }
        }
    }

    @Test
    void aRealProductDecryptsWithinTheSwitchBoundAndEqualsTheTwoStepPath() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        RelinKey rk = new KeyGenerator(P).relinKey(sk);
        Evaluator ev = new Evaluator(P);
        Encoder enc = new Encoder(P);
        Encryptor en = new Encryptor(P);
        SplittableRandom r = new SplittableRandom(6);
        // coefficient-encoded a (dense, |a_i| <= 1) times the constant polynomial b: coefficient i of the product is a_i b
        double[] a = new double[N], b = new double[N];
        for (int i = 0; i < N; i++) a[i] = r.nextDouble(-1, 1);
        b[0] = 0.75;
        Ciphertext ca = en.encryptSymmetric(enc.encodeCoefficients(a, 0x1p28, 0), sk);
        Ciphertext cb = en.encryptSymmetric(enc.encodeCoefficients(b, 0x1p27, 0), sk);
        Ciphertext prod = ev.multiply(ca, cb);
        CompactRelinearizer f = new CompactRelinearizer(P, rk, GALLERY_POSITIONS, 20, 28);
        CompactCiphertext c = f.apply(prod);
        assertEquals(0x1p55 * 0x1p28 / P.dataPrime(0), c.scale(), 1e-9 * c.scale());
        assertArrayEquals(twoStep(ev, rk, prod, GALLERY_POSITIONS, 20, 28), fused(f, prod));
        double[] got = c.decrypt(sk, GALLERY_POSITIONS);
        // the switch's proved bound plus the fresh encryption and relinearization noise (well below 1e-5 at 2^55)
        double tol = c.switchingErrorBound(sk) + 1e-5;
        for (int j = 0; j < GALLERY_POSITIONS.length; j++) {
            assertEquals(a[GALLERY_POSITIONS[j]] * 0.75, got[j], tol, "position " + GALLERY_POSITIONS[j]);
        }
    }

    @Test
    void threadsShareOneRelinearizerAndGetTheSameBytes() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        RelinKey rk = new KeyGenerator(P).relinKey(sk);
        long q = P.dataPrime(0);
        SplittableRandom r = new SplittableRandom(7);
        Ciphertext[] cts = new Ciphertext[24];
        for (int i = 0; i < cts.length; i++) cts[i] = random3(r, q, 3);
        CompactRelinearizer f = new CompactRelinearizer(P, rk, GALLERY_POSITIONS, 20, 28);
        byte[][] sequential = Arrays.stream(cts).map(ct -> fused(f, ct)).toArray(byte[][]::new);
        for (int round = 0; round < 3; round++) {
            byte[][] parallel = IntStream.range(0, cts.length).parallel().mapToObj(i -> fused(f, cts[i])).toArray(byte[][]::new);
            for (int i = 0; i < cts.length; i++) assertArrayEquals(sequential[i], parallel[i], "ciphertext " + i);
        }
    }

    @Test
    void littleEndianDirectAndOffsetBuffersGetTheSameBytes() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        RelinKey rk = new KeyGenerator(P).relinKey(sk);
        CompactRelinearizer f = new CompactRelinearizer(P, rk, GALLERY_POSITIONS, 20, 28);
        Ciphertext ct = random3(new SplittableRandom(8), P.dataPrime(0), 3);
        ByteBuffer le = ByteBuffer.allocate((int) f.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        f.write(ct, le);
        assertArrayEquals(fused(f, ct), le.array());
        // a direct buffer (no array: byte stores) at an offset, with room to spare after
        ByteBuffer direct = ByteBuffer.allocateDirect((int) f.bytes() + 10).position(3);
        f.write(ct, direct);
        assertEquals(3 + f.bytes(), direct.position());
        byte[] got = new byte[(int) f.bytes()];
        direct.position(3).get(got);
        assertArrayEquals(fused(f, ct), got);
        // a heap buffer wrapping an array at an offset: the position moves by exactly the answer's bytes
        byte[] backing = new byte[(int) f.bytes() + 7];
        ByteBuffer slice = ByteBuffer.wrap(backing, 5, (int) f.bytes());
        f.write(ct, slice);
        assertFalse(slice.hasRemaining());
        assertArrayEquals(fused(f, ct), Arrays.copyOfRange(backing, 5, 5 + (int) f.bytes()));
    }

    @Test
    void misuseIsAClearError() {
        SecretKey sk = new KeyGenerator(P).secretKey();
        RelinKey rk = new KeyGenerator(P).relinKey(sk);
        CompactRelinearizer f = new CompactRelinearizer(P, rk, GALLERY_POSITIONS, 20, 28);
        Ciphertext two = new Encryptor(P).encryptSymmetric(new Encoder(P).encodeCoefficients(new double[N], 0x1p40, 0), sk);
        assertThrows(CkksException.class, () -> f.write(two, ByteBuffer.allocate((int) f.bytes())));
        Ciphertext level1 = new Evaluator(P).multiply(
                new Encryptor(P).encryptSymmetric(new Encoder(P).encodeCoefficients(new double[N], 0x1p20, 1), sk),
                new Encryptor(P).encryptSymmetric(new Encoder(P).encodeCoefficients(new double[N], 0x1p20, 1), sk));
        assertThrows(CkksException.class, () -> f.write(level1, ByteBuffer.allocate((int) f.bytes())));
        Ciphertext ok = random3(new SplittableRandom(9), P.dataPrime(0), 3);
        assertThrows(java.nio.BufferOverflowException.class, () -> f.write(ok, ByteBuffer.allocate((int) f.bytes() - 1)));
        assertThrows(CkksException.class, () -> new CompactRelinearizer(P, rk, new int[]{4, 4}, 20, 28));
        assertThrows(CkksException.class, () -> new CompactRelinearizer(P, rk, new int[]{0}, 29, 28));
        CkksParameters other = CkksParameters.of(N, Primes.forBitSizes(N, new int[]{58, 50, 60}), false, 0x1p28, false);
        assertThrows(CkksException.class, () -> new CompactRelinearizer(other, rk, new int[]{0}, 20, 28)); // no special prime
        CkksParameters small = CkksParameters.insecureForTests(1024, new int[]{50, 40, 55}, 0x1p20);
        assertThrows(CkksException.class, () -> new CompactRelinearizer(small, rk, new int[]{0}, 8, 12)); // another key's parameters
    }
}
