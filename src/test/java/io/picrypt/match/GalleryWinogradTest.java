package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.ProductSum;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static io.picrypt.match.MatchTest.near;
import static io.picrypt.match.MatchTest.plainD2;
import static io.picrypt.match.MatchTest.unit;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The gallery's use of the product kernel's per-block terms ({@link ProductSum#prepare}): bulk import prepares; an
 * enrollment's new columns and a stored block read back are not prepared until an identify over 8 or more blocks
 * computes their terms; through all of it identifies over 8+ blocks (Winograd's pairing) equal the one-block
 * identifies (direct products) word for word and the plaintext distances.
 */
class GalleryWinogradTest {
    static GalleryKeyOwner owner;
    static GalleryEvaluator evaluator;

    @BeforeAll
    static void keys() {
        owner = new GalleryKeyOwner(GalleryKeyOwner.generateSecretKey());
        evaluator = new GalleryEvaluator(owner.evaluationKeys());
    }

    private static boolean prepared(GalleryEvaluator.Block b) {
        return ProductSum.isPrepared(GalleryParameters.get(), b.columns());
    }

    /** productSums of {@code blocks} (8 or more: Winograd) equal each block's own one-block sum (direct) word for word. */
    private static void assertEqualsOneBlockSums(List<GalleryEvaluator.Block> blocks, List<Ciphertext> expanded) {
        List<Ciphertext> all = evaluator.productSums(blocks, expanded);
        for (int k = 0; k < blocks.size(); k++) {
            Ciphertext one = evaluator.productSums(List.of(blocks.get(k)), expanded).get(0);
            for (int c = 0; c < 3; c++) assertArrayEquals(one.component(c)[0], all.get(k).component(c)[0], "block " + k + " component " + c);
        }
    }

    @Test
    void enrollmentsAndStoredBlocksKeepIdentifiesOverEightBlocksExact() {
        List<float[]> idsX = new ArrayList<>(), idsY = new ArrayList<>();
        for (int i = 0; i < 20; i++) idsX.add(unit(GalleryParameters.DIMENSION));
        for (int i = 0; i < 10; i++) idsY.add(unit(GalleryParameters.DIMENSION));
        GalleryEvaluator.Block x = evaluator.importBlock(owner.encryptBlock(idsX));
        GalleryEvaluator.Block y = evaluator.importBlock(owner.encryptBlock(idsY));
        assertTrue(prepared(x) && prepared(y), "bulk import prepares");
        GalleryEvaluator.Block z = evaluator.readBlock(y.toBytes());
        GalleryEvaluator.Block w = evaluator.newBlock();
        assertFalse(prepared(z) || prepared(w), "stored and new blocks are not prepared");

        float[] e1 = unit(GalleryParameters.DIMENSION), e2 = unit(GalleryParameters.DIMENSION), e3 = unit(GalleryParameters.DIMENSION);
        float[] probe = near(e1, 0.8);
        evaluator.enroll(x, 20, owner.encryptEnrollment(e1));
        assertFalse(prepared(x), "an enrollment's new columns wait for the next large identify");
        evaluator.enroll(w, 7, owner.encryptEnrollment(e2));
        assertFalse(prepared(w));

        List<Ciphertext> expanded = evaluator.expandProbe(owner.encryptProbe(probe));
        // one-block identifies (direct products) compute no terms
        byte[] zAlone = evaluator.identifyExpanded(List.of(z), expanded);
        assertFalse(prepared(z));
        assertArrayEquals(evaluator.identifyExpanded(List.of(y), expanded), zAlone, "a stored copy answers as its original");

        // 9 entries over 4 blocks (repeated objects in and across the kernel's groups of 8)
        List<GalleryEvaluator.Block> blocks = List.of(x, y, z, w, x, z, y, w, x);
        byte[] answer = evaluator.identifyExpanded(blocks, expanded);
        assertTrue(prepared(x) && prepared(z) && prepared(w), "an identify over 8+ blocks computes the terms of the blocks it reads");
        assertEqualsOneBlockSums(blocks, expanded);
        checkDistances(answer, blocks, probe, idsX, idsY, e1, e2, null);

        // an enrollment into a block whose terms were computed: new columns, new terms by the next identify, still exact
        evaluator.enroll(z, 10, owner.encryptEnrollment(e3));
        assertFalse(prepared(z));
        checkDistances(evaluator.identifyExpanded(blocks, expanded), blocks, probe, idsX, idsY, e1, e2, e3);
        assertTrue(prepared(z));
        assertEqualsOneBlockSums(blocks, expanded);

        // a stored block read back (not prepared) gives the same answer bytes over 8 blocks as its prepared original
        GalleryEvaluator.Block zRead = evaluator.readBlock(z.toBytes());
        assertFalse(prepared(zRead));
        byte[] fromStore = evaluator.identifyExpanded(Collections.nCopies(8, zRead), expanded);
        assertTrue(prepared(zRead));
        assertArrayEquals(evaluator.identifyExpanded(Collections.nCopies(8, z), expanded), fromStore);
        GalleryEvaluator.Block zRead2 = evaluator.readBlock(z.toBytes());
        List<GalleryEvaluator.Block> mixed = new ArrayList<>(Collections.nCopies(7, x));
        mixed.add(3, zRead2);
        byte[] mixedAnswer = evaluator.identifyExpanded(mixed, expanded);
        mixed.set(3, z);
        assertArrayEquals(evaluator.identifyExpanded(mixed, expanded), mixedAnswer);

        // a server that has just loaded blocks prepares them when an identify over them would use the terms (8 or more)
        List<GalleryEvaluator.Block> loaded = new ArrayList<>();
        for (int i = 0; i < 7; i++) loaded.add(evaluator.readBlock(y.toBytes()));
        evaluator.prepare(loaded);
        assertTrue(loaded.stream().noneMatch(GalleryWinogradTest::prepared), "7 blocks: direct products, nothing to prepare");
        loaded.add(evaluator.readBlock(y.toBytes()));
        evaluator.prepare(loaded);
        assertTrue(loaded.stream().allMatch(GalleryWinogradTest::prepared), "8 blocks: every block prepared");
        assertArrayEquals(evaluator.identifyExpanded(Collections.nCopies(8, y), expanded), evaluator.identifyExpanded(loaded, expanded));
    }

    /** Every live slot of every block position against the plaintext distance; free slots not live. */
    private static void checkDistances(byte[] answer, List<GalleryEvaluator.Block> blocks, float[] probe, List<float[]> idsX,
                                       List<float[]> idsY, float[] e1, float[] e2, float[] e3) {
        int cap = GalleryParameters.BLOCK_CAPACITY;
        double[] d2 = owner.decryptDistances(answer, blocks.size() * cap);
        int live = 0;
        for (int k = 0; k < blocks.size(); k++) {
            GalleryEvaluator.Block b = blocks.get(k);
            for (int s = 0; s < cap; s++) {
                float[] id = null;
                if (b == blocks.get(0)) id = s < idsX.size() ? idsX.get(s) : s == 20 ? e1 : null;
                else if (b == blocks.get(1) || b == blocks.get(2)) id = s < idsY.size() ? idsY.get(s) : s == 10 && b == blocks.get(2) ? e3 : null;
                else if (b == blocks.get(3)) id = s == 7 ? e2 : null;
                double got = d2[k * cap + s];
                if (id == null) {
                    assertTrue(Double.isNaN(got), "block " + k + " slot " + s + " is not live");
                } else {
                    assertEquals(plainD2(id, probe), got, GalleryTest.D2_BOUND, "block " + k + " slot " + s);
                    live++;
                }
            }
        }
        assertTrue(live >= 8 * 10, "live slots checked: " + live);
    }
}
