package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.ProductSum;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.picrypt.match.MatchTest.unit;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Identify's reused product-sum arrays ({@link SumBuffers}, {@link ProductSum#sums} with a destination): a destination
 * full of another call's words gives the same sums word for word as fresh arrays; identifies that reuse the pool
 * (sequentially and two at a time) answer byte for byte what the unpooled products + answer give; the pool keeps at
 * most its bound; a destination of the wrong shape is refused.
 */
class GallerySumBuffersTest {
    static GalleryKeyOwner owner;
    static GalleryEvaluator evaluator;
    static List<GalleryEvaluator.Block> blocks = new ArrayList<>();

    @BeforeAll
    static void gallery() {
        owner = new GalleryKeyOwner(GalleryKeyOwner.generateSecretKey());
        evaluator = new GalleryEvaluator(owner.evaluationKeys());
        for (int b = 0; b < 3; b++) {
            List<float[]> ids = new ArrayList<>();
            for (int i = 0; i < 40 + b; i++) ids.add(unit(GalleryParameters.DIMENSION));
            blocks.add(evaluator.importBlock(owner.encryptBlock(ids)));
        }
    }

    private static byte[] unpooled(List<GalleryEvaluator.Block> bl, byte[] probe) {
        return evaluator.answer(bl, evaluator.productSums(bl, evaluator.expandProbe(probe)));
    }

    @Test
    void aDirtyDestinationGivesTheSameSumsWordForWord() {
        List<Ciphertext> x = evaluator.expandProbe(owner.encryptProbe(unit(GalleryParameters.DIMENSION)));
        List<Ciphertext> fresh = evaluator.productSums(blocks, x);
        long[][][][] dest = new long[blocks.size()][3][1][GalleryParameters.get().n()];
        for (long[][][] d : dest) for (long[][] c : d) Arrays.fill(c[0], -7L); // words no product can give
        Ciphertext[] got = ProductSum.sums(GalleryParameters.get(), blocks.stream().map(GalleryEvaluator.Block::columns).toList(), x, dest);
        for (int k = 0; k < blocks.size(); k++) for (int c = 0; c < 3; c++) {
            assertArrayEquals(fresh.get(k).component(c)[0], got[k].component(c)[0], "block " + k + " component " + c);
        }
        long[][][][] wrongCount = new long[blocks.size() + 1][3][1][GalleryParameters.get().n()];
        long[][][][] wrongLength = new long[blocks.size()][3][1][16];
        List<io.picrypt.ckks.OffHeapCiphertexts> cols = blocks.stream().map(GalleryEvaluator.Block::columns).toList();
        assertThrows(CkksException.class, () -> ProductSum.sums(GalleryParameters.get(), cols, x, wrongCount));
        assertThrows(CkksException.class, () -> ProductSum.sums(GalleryParameters.get(), cols, x, wrongLength));
    }

    @Test
    void pooledIdentifiesAnswerWhatUnpooledProductsAnswer() throws Exception {
        byte[] p1 = owner.encryptProbe(unit(GalleryParameters.DIMENSION)), p2 = owner.encryptProbe(unit(GalleryParameters.DIMENSION));
        byte[] want1 = unpooled(blocks, p1), want2 = unpooled(blocks, p2);
        // sequentially: the second and third calls reuse the units the first gave back (full of its sums)
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(want1, evaluator.identify(blocks, p1), "run " + r);
            assertArrayEquals(want2, evaluator.identify(blocks, p2), "run " + r);
        }
        byte[] fewer = unpooled(blocks.subList(0, 2), p1);
        assertArrayEquals(fewer, evaluator.identify(blocks.subList(0, 2), p1), "fewer blocks after more");
        assertArrayEquals(want2, evaluator.identify(blocks, p2), "more blocks after fewer");
        // two at a time: each call holds its own units
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int r = 0; r < 4; r++) {
                Future<byte[]> a = pool.submit(() -> evaluator.identify(blocks, p1));
                Future<byte[]> b = pool.submit(() -> evaluator.identify(blocks, p2));
                assertArrayEquals(want1, a.get(), "concurrent run " + r);
                assertArrayEquals(want2, b.get(), "concurrent run " + r);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(GalleryEvaluator.SUMS.kept() <= GalleryEvaluator.SUMS.maxUnits());
        assertTrue(GalleryEvaluator.SUMS.kept() >= blocks.size(), "units were given back: " + GalleryEvaluator.SUMS.kept());
    }

    @Test
    void thePoolKeepsAtMostItsBound() {
        SumBuffers small = new SumBuffers(16, 3L * 8 * 16 * 4 * 3); // a quarter of that heap: 3 units
        assertEquals(3, small.maxUnits());
        long[][][][] a = small.take(5);
        assertEquals(5, a.length);
        for (long[][][] u : a) assertEquals(16, u[2][0].length);
        small.give(a);
        assertEquals(3, small.kept());
        long[][][][] b = small.take(4); // 3 reused, 1 new
        assertEquals(0, small.kept());
        assertEquals(3, Arrays.stream(b).filter(u -> Arrays.stream(a).anyMatch(v -> v == u)).count());
        assertEquals(0, new SumBuffers(8192, 1 << 19).maxUnits(), "a quarter of the heap below one unit keeps nothing");
    }
}
