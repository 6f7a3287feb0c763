package io.picrypt.match;

import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.picrypt.match.MatchTest.near;
import static io.picrypt.match.MatchTest.plainD2;
import static io.picrypt.match.MatchTest.unit;
import static org.junit.jupiter.api.Assertions.*;

class GalleryTest {
    static final double THRESHOLD = 1.30;
    /** Gallery vectors (already projected: the key owner below has no basis). */
    static final int DIM = GalleryParameters.DIMENSION;
    /**
     * Bound on |decrypted d^2 - plaintext d^2| of a compact answer: d^2 = 2 - 2<x,p>, so twice the switch's proved worst
     * case on an inner product plus twice the noise tolerance.
     */
    static final double D2_BOUND = 2 * (GalleryParameters.COMPACT_SWITCH_ERROR + GalleryKeyOwner.NOISE_BOUND);
    static SecretKey sk;
    static GalleryKeyOwner owner;
    static GalleryEvaluator evaluator;
    static byte[] evalKeys;

    @BeforeAll
    static void keys() {
        sk = GalleryKeyOwner.generateSecretKey();
        owner = new GalleryKeyOwner(sk);
        evalKeys = owner.evaluationKeys();
        evaluator = new GalleryEvaluator(evalKeys);
    }

    /** cos for a target squared distance of unit vectors: d2 = 2 - 2 cos. */
    static double cosFor(double d2) { return (2 - d2) / 2; }

    @Test
    void encryptedDecisionsEqualPlaintextDecisionsIncludingNearThreshold() {
        Random r = new Random(42);
        int probes = 3, perProbeNear = 40, random = 300;
        List<float[]> probeVecs = new ArrayList<>();
        List<float[]> gallery = new ArrayList<>();
        for (int i = 0; i < random; i++) gallery.add(unit(DIM));
        for (int p = 0; p < probes; p++) {
            float[] probe = unit(DIM);
            probeVecs.add(probe);
            // templates at d2 = 1.30 +- 0.02 .. +-0.0005 from this probe, and a few genuine matches
            for (int k = 0; k < perProbeNear; k++) {
                double delta = (k % 2 == 0 ? 1 : -1) * 0.02 / (1 + k / 2);
                gallery.add(near(probe, cosFor(THRESHOLD + delta)));
            }
            gallery.add(near(probe, 0.9));
        }
        GalleryEvaluator.Block block = evaluator.importBlock(owner.encryptBlock(gallery));
        double maxErr = 0;
        int decisions = 0, nearPairs = 0;
        for (float[] probe : probeVecs) {
            double[] d2 = owner.decryptDistances(evaluator.identify(List.of(block), owner.encryptProbe(probe)), gallery.size());
            for (int s = 0; s < gallery.size(); s++) {
                double plain = plainD2(gallery.get(s), probe);
                maxErr = Math.max(maxErr, Math.abs(d2[s] - plain));
                assertEquals(plain <= THRESHOLD, d2[s] <= THRESHOLD, "slot " + s + ": plain " + plain + " encrypted " + d2[s]);
                decisions++;
                if (Math.abs(plain - THRESHOLD) <= 0.021) nearPairs++;
            }
        }
        assertTrue(nearPairs >= probes * perProbeNear, "near-threshold pairs: " + nearPairs);
        // every error within the bound; the closest constructed pairs (0.001 from the threshold) are ~10 standard
        // deviations of the measured error (~1e-4 on d^2, switch and noise) away, so their decisions held above
        assertTrue(maxErr <= D2_BOUND, "max |d2 error| " + maxErr + " over " + decisions + " decisions");
    }

    /**
     * A key owner with a basis takes model embeddings (MatchParameters.DIMENSION values) and encrypts their projections:
     * the decrypted distances are those between the projected vectors, for bulk import, enrollment and probe alike.
     */
    @Test
    void projectingKeyOwnerGivesTheDistancesOfTheProjectedVectors() {
        GalleryProjection basis = GalleryProjection.synthetic(1);
        GalleryKeyOwner projecting = new GalleryKeyOwner(sk, basis);
        assertSame(basis, projecting.projection());
        List<float[]> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) ids.add(unit(MatchParameters.DIMENSION));
        float[] probe = near(ids.get(4), cosFor(0.6));
        GalleryEvaluator.Block block = evaluator.importBlock(projecting.encryptBlock(ids));
        evaluator.enroll(block, 100, projecting.encryptEnrollment(ids.get(9)));
        double[] d2 = projecting.decryptDistances(evaluator.identify(List.of(block), projecting.encryptProbe(probe)), 101);
        float[] p = basis.project(probe);
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(plainD2(basis.project(ids.get(i)), p), d2[i], D2_BOUND, "identity " + i);
        }
        assertEquals(plainD2(basis.project(ids.get(9)), p), d2[100], D2_BOUND, "enrolled");
        assertTrue(d2[4] < THRESHOLD, "the genuine identity matches: " + d2[4]);
        // the same key decrypts without a basis; a projecting owner refuses gallery vectors (they are not embeddings)
        assertArrayEquals(d2, owner.decryptDistances(evaluator.identify(List.of(block), projecting.encryptProbe(probe)), 101), 2 * D2_BOUND);
        assertThrows(IllegalArgumentException.class, () -> projecting.encryptProbe(unit(DIM)));
    }

    @Test
    void enrollmentByExpansionEqualsBulkImportAndDeletionHidesSlot() {
        List<float[]> ids = List.of(unit(DIM), unit(DIM), unit(DIM));
        GalleryEvaluator.Block bulk = evaluator.importBlock(owner.encryptBlock(ids));
        GalleryEvaluator.Block enrolled = evaluator.newBlock();
        int[] slots = {0, -1, 1025}; // identity 1 is only in the bulk block
        evaluator.enroll(enrolled, slots[0], owner.encryptEnrollment(ids.get(0)));
        evaluator.enroll(enrolled, slots[2], owner.encryptEnrollment(ids.get(2)));
        assertEquals(2, enrolled.liveCount());
        assertEquals(GalleryEvaluator.SlotState.FREE, enrolled.slot(2));
        assertEquals(1, enrolled.firstFreeSlot());
        float[] probe = near(ids.get(2), 0.6);
        // one expansion serves every identify of this test (identify = expandProbe + identifyExpanded)
        var expanded = evaluator.expandProbe(owner.encryptProbe(probe));
        int cap = GalleryParameters.BLOCK_CAPACITY;
        double[] a = owner.decryptDistances(evaluator.identifyExpanded(List.of(bulk), expanded), 3);
        double[] b = owner.decryptDistances(evaluator.identifyExpanded(List.of(enrolled), expanded), cap);
        for (int i = 0; i < ids.size(); i++) assertEquals(plainD2(ids.get(i), probe), a[i], D2_BOUND);
        assertEquals(a[0], b[0], 2 * D2_BOUND, "enrolled by expansion = bulk-encrypted");
        assertEquals(a[2], b[1025], 2 * D2_BOUND, "enrolled by expansion = bulk-encrypted");
        assertTrue(Double.isNaN(b[1]) && Double.isNaN(b[2]), "free slots are reported as not live");
        assertThrows(IllegalStateException.class, () -> evaluator.enroll(enrolled, 0, owner.encryptEnrollment(ids.get(1))));

        evaluator.delete(enrolled, 0);
        assertEquals(GalleryEvaluator.SlotState.DELETED, enrolled.slot(0));
        double[] c = owner.decryptDistances(evaluator.identifyExpanded(List.of(enrolled, bulk), expanded), cap + 3);
        assertTrue(Double.isNaN(c[0]), "deleted slot hidden");
        assertEquals(b[1025], c[1025], 2 * D2_BOUND);
        assertEquals(a[1], c[cap + 1], 2 * D2_BOUND, "second block in order");
        assertThrows(IllegalStateException.class, () -> evaluator.delete(enrolled, 0));
        assertThrows(IllegalStateException.class, () -> evaluator.enroll(enrolled, 0, owner.encryptEnrollment(ids.get(0))), "deleted slots are not reused");

        // storage round trips: whole block and per-column rows
        GalleryEvaluator.Block copy = evaluator.readBlock(enrolled.toBytes());
        List<byte[]> cols = new ArrayList<>();
        for (int j = 0; j < GalleryParameters.COLUMNS; j++) cols.add(bulk.columnBytes(j));
        GalleryEvaluator.Block bulkCopy = evaluator.readBlock(bulk.slotStates(), cols);
        double[] d = owner.decryptDistances(evaluator.identifyExpanded(List.of(copy, bulkCopy), expanded), cap + 3);
        for (int i = 0; i < d.length; i++) {
            if (Double.isNaN(c[i])) assertTrue(Double.isNaN(d[i]), "position " + i);
            else assertEquals(c[i], d[i], 1e-9, "position " + i);
        }
        // bulk columns stay in seeded form (half the storage) until something is enrolled into them
        assertTrue(GalleryEvaluator.storedBytes(bulk) < 0.6 * GalleryEvaluator.storedBytes(enrolled));
        // off-heap columns serialize exactly as they were read, seeds included
        assertArrayEquals(bulk.toBytes(), bulkCopy.toBytes());
        assertArrayEquals(enrolled.toBytes(), copy.toBytes());
        assertEquals(GalleryEvaluator.storedBytes(bulk), bulkCopy.toBytes().length);
        assertEquals(16L << 20, bulk.offHeapBytes(), "128 columns x 2 components x 8192 words at q0, off the heap");
    }

    /** The warm-up's units run on the real parameters, and none runs once real work has started in the process. */
    @Test
    void warmUpRunsItsUnitsAndStopsOnceRealWorkHasStarted() {
        assertEquals(2, evaluator.warmUp(2, true));
        evaluator.expandProbe(owner.encryptProbe(unit(DIM)));
        assertEquals(0, evaluator.warmUp(GalleryEvaluator.WARM_UNITS, false));
    }

    @Test
    void identifyDuringEnrollmentSeesTheBlockBeforeOrAfterNeverHalf() throws Exception {
        float[] first = unit(DIM), second = unit(DIM);
        GalleryEvaluator.Block block = evaluator.importBlock(owner.encryptBlock(List.of(first)));
        float[] probe = near(second, 0.7);
        var expanded = evaluator.expandProbe(owner.encryptProbe(probe));
        byte[] enrollment = owner.encryptEnrollment(second);
        Thread writer = new Thread(() -> evaluator.enroll(block, 1, enrollment));
        writer.start();
        List<byte[]> results = new ArrayList<>();
        do {
            results.add(evaluator.identifyExpanded(List.of(block), expanded));
        } while (writer.isAlive());
        writer.join();
        results.add(evaluator.identifyExpanded(List.of(block), expanded));
        for (byte[] r : results) {
            double[] d = owner.decryptDistances(r, 2);
            assertEquals(plainD2(first, probe), d[0], D2_BOUND);
            assertTrue(Double.isNaN(d[1]) || Math.abs(d[1] - plainD2(second, probe)) <= D2_BOUND, "slot 1: " + d[1]);
        }
        double[] last = owner.decryptDistances(results.get(results.size() - 1), 2);
        assertEquals(plainD2(second, probe), last[1], D2_BOUND);
    }

    @Test
    void rejectsGarbageAndWrongParameters() {
        byte[] probe = owner.encryptProbe(unit(DIM));
        byte[] enrollment = owner.encryptEnrollment(unit(DIM));
        GalleryEvaluator.Block block = evaluator.importBlock(owner.encryptBlock(List.of(unit(DIM))));
        byte[] garbage = new byte[1000];
        new Random(1).nextBytes(garbage);

        assertThrows(CkksException.class, () -> new GalleryEvaluator(garbage));
        assertThrows(CkksException.class, () -> new GalleryEvaluator(Arrays.copyOf(evalKeys, evalKeys.length - 1)));
        SecretKey other = GalleryKeyOwner.generateSecretKey();
        KeyGenerator kg = new KeyGenerator(GalleryParameters.get());
        byte[] galois = Serializer.writeGaloisKeys(kg.galoisKeys(other, GalleryParameters.galoisElements().subList(0, GalleryParameters.galoisElements().size() - 1)));
        byte[] relin = Serializer.writeRelinKey(kg.relinKey(other));
        java.nio.ByteBuffer missingKey = java.nio.ByteBuffer.allocate(9 + galois.length + relin.length);
        missingKey.put(GalleryKeyOwner.EVAL_MAGIC.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put((byte) 1).putInt(galois.length).put(galois).put(relin);
        assertThrows(CkksException.class, () -> new GalleryEvaluator(missingKey.array()), "a missing expansion key is refused up front");
        byte[] hugeGalois = evalKeys.clone();
        hugeGalois[5] = 0x7f;
        assertThrows(CkksException.class, () -> new GalleryEvaluator(hugeGalois));
        assertThrows(CkksException.class, () -> evaluator.identify(List.of(block), garbage));
        assertThrows(CkksException.class, () -> evaluator.identify(List.of(block), Arrays.copyOf(probe, probe.length + 1)));
        assertThrows(CkksException.class, () -> evaluator.identify(List.of(block), block.columnBytes(0)), "a column (level 0, scale 2^28) is not a probe");
        assertThrows(CkksException.class, () -> evaluator.enroll(block, 5, block.columnBytes(1)), "a column is not an enrollment");
        assertThrows(IllegalArgumentException.class, () -> evaluator.enroll(block, GalleryParameters.BLOCK_CAPACITY, enrollment));
        // a 1:1 matching probe is for other parameters
        byte[] matchProbe = new MatchKeyOwner(MatchKeyOwner.generateSecretKey()).encryptProbe(unit(MatchParameters.DIMENSION));
        assertThrows(CkksException.class, () -> evaluator.identify(List.of(block), matchProbe));
        assertThrows(CkksException.class, () -> evaluator.importBlock(garbage));
        byte[] stored = block.toBytes();
        assertThrows(CkksException.class, () -> evaluator.readBlock(Arrays.copyOf(stored, stored.length - 7)));
        byte[] badSlot = stored.clone();
        badSlot[5] = 9;
        assertThrows(CkksException.class, () -> evaluator.readBlock(badSlot));
        byte[] hugeLen = stored.clone();
        hugeLen[5 + GalleryParameters.BLOCK_CAPACITY] = 0x7f;
        assertThrows(CkksException.class, () -> evaluator.readBlock(hugeLen));
        assertThrows(CkksException.class, () -> evaluator.readBlock(block.slotStates(), List.of(block.columnBytes(0))));
        byte[] result = evaluator.identify(List.of(block), probe);
        assertThrows(CkksException.class, () -> owner.decryptDistances(Arrays.copyOf(result, result.length - 1), 1));
        byte[] hugeCount = result.clone();
        hugeCount[5] = 0x7f;
        assertThrows(CkksException.class, () -> owner.decryptDistances(hugeCount, 1));
        assertThrows(CkksException.class, () -> owner.decryptDistances(result, GalleryParameters.BLOCK_CAPACITY + 1));
        assertThrows(IllegalArgumentException.class, () -> owner.encryptProbe(new float[DIM + 1]));
        assertThrows(IllegalArgumentException.class, () -> owner.encryptProbe(unit(MatchParameters.DIMENSION)), "a model embedding needs the basis");
        assertThrows(IllegalArgumentException.class, () -> owner.encryptProbe(new float[]{Float.NaN}));
        assertThrows(IllegalArgumentException.class, () -> owner.encryptBlock(List.of()));
        assertThrows(CkksException.class, () -> new GalleryKeyOwner(MatchKeyOwner.generateSecretKey()));
    }

    /** Partial answers over disjoint blocks (one per shard) merge into the answer a single node gives. */
    @Test
    void partialAnswersMergeIntoTheWholeAnswer() {
        Random r = new Random(7);
        List<float[]> a = new ArrayList<>(), b = new ArrayList<>(), c = new ArrayList<>();
        for (int i = 0; i < 5; i++) { a.add(unit(DIM)); b.add(unit(DIM)); c.add(unit(DIM)); }
        List<GalleryEvaluator.Block> blocks = List.of(evaluator.importBlock(owner.encryptBlock(a)),
                evaluator.importBlock(owner.encryptBlock(b)), evaluator.importBlock(owner.encryptBlock(c)));
        List<List<float[]>> people = List.of(a, b, c);
        float[] probe = near(b.get(3), 0.8);
        byte[] wire = owner.encryptProbe(probe);
        List<GalleryFrames.Entry> all = new ArrayList<>();
        for (int blk = 0; blk < 3; blk++) for (int s = 0; s < 5; s++) all.add(new GalleryFrames.Entry(new GalleryPosition(blk, s).index(), "p" + blk + "_" + s));
        GalleryFrames.Answer whole = GalleryFrames.readAnswer(GalleryFrames.writeAnswer(List.of(0, 1, 2), all, evaluator.identify(blocks, wire)));
        // shard 1 holds block 2 and block 0 (in that order), shard 2 holds block 1
        GalleryFrames.Answer p1 = new GalleryFrames.Answer(List.of(2, 0),
                all.stream().filter(e -> GalleryPosition.of(e.position()).block() != 1).toList(), evaluator.identify(List.of(blocks.get(2), blocks.get(0)), wire));
        GalleryFrames.Answer p2 = new GalleryFrames.Answer(List.of(1),
                all.stream().filter(e -> GalleryPosition.of(e.position()).block() == 1).toList(), evaluator.identify(List.of(blocks.get(1)), wire));
        GalleryFrames.Answer merged = GalleryFrames.readAnswer(GalleryFrames.writeAnswer(GalleryFrames.merge(List.of(p2, p1))));
        assertEquals(List.of(0, 1, 2), merged.blocks());
        assertEquals(all, merged.entries());
        double[] dw = owner.distances(whole), dm = owner.distances(merged);
        for (int k = 0; k < all.size(); k++) {
            GalleryPosition at = GalleryPosition.of(all.get(k).position());
            double plain = plainD2(people.get(at.block()).get(at.slot()), probe);
            assertEquals(plain, dm[k], 1e-3, "merged distance of " + at);
            assertEquals(dw[k], dm[k], 1e-3);
        }
        // positions and their (block, slot) are one conversion, both ways
        assertEquals(new GalleryPosition(3, 17), GalleryPosition.of(new GalleryPosition(3, 17).index()));
        assertThrows(IllegalArgumentException.class, () -> new GalleryPosition(0, GalleryParameters.BLOCK_CAPACITY));
        // overlapping parts, entries outside the covered blocks, repeated blocks, too few results: refused
        assertThrows(IllegalArgumentException.class, () -> GalleryFrames.merge(List.of(p1, p1)));
        assertThrows(CkksException.class, () -> GalleryFrames.readAnswer(GalleryFrames.writeAnswer(List.of(1), all, p2.result())));
        assertThrows(CkksException.class, () -> GalleryFrames.readAnswer(GalleryFrames.writeAnswer(List.of(1, 1), List.of(), p2.result())));
        assertThrows(CkksException.class, () -> owner.distances(new GalleryFrames.Answer(List.of(0, 1), p2.entries(), p2.result())));
        // a listed slot the result reports as not live
        GalleryFrames.Answer ghost = new GalleryFrames.Answer(List.of(1), List.of(new GalleryFrames.Entry(new GalleryPosition(1, 9).index(), "ghost")), p2.result());
        assertThrows(CkksException.class, () -> owner.distances(ghost));
    }

    /**
     * Issue 16: the compact answer (PCGR v2, switched from q0 to 2^RESULT_LOG_T1 / 2^RESULT_LOG_T0) differs from the
     * full-modulus answer by at most the proved switching bound, so every decision of a pair farther than
     * {@link #D2_BOUND} from the threshold equals the plaintext one: a full block, half of it planted just beyond that
     * margin (within 0.01 more), half within 0.001 of the threshold (there the bound on |d^2 error| is what holds). The
     * switch's error is as small as its rounding predicts; the answer is N RESULT_LOG_T1 + BLOCK_CAPACITY RESULT_LOG_T0
     * bits per block (33,289 bytes with 2^24 / 2^16 instead of 119,337 for v1), and v1 answers of older servers still
     * decrypt.
     */
    @Test
    void compactAnswerKeepsEveryDecisionBeyondItsErrorBound() {
        Random r = new Random(16);
        float[] probe = unit(DIM);
        int cap = GalleryParameters.BLOCK_CAPACITY;
        List<float[]> gallery = new ArrayList<>();
        for (int s = 0; s < cap; s++) {
            // a third within 0.001 of the threshold (closer than the measured error can be excluded: only the bound is
            // required there), a third at 0.001 .. the proved bound (decisions must equal plaintext: the measured error is
            // below 4.3e-4, docs/PROTOCOL.md), a third beyond the proved bound (equal in the worst case too)
            double u = switch (s % 3) {
                case 0 -> 0.0002 + 0.0008 * r.nextDouble();
                case 1 -> 0.001 + (D2_BOUND - 0.001) * r.nextDouble();
                default -> D2_BOUND + 0.0001 + 0.0099 * r.nextDouble();
            };
            gallery.add(near(probe, cosFor(THRESHOLD + (r.nextBoolean() ? u : -u))));
        }
        GalleryEvaluator.Block block = evaluator.importBlock(owner.encryptBlock(gallery));
        byte[] wire = owner.encryptProbe(probe);
        byte[] served = evaluator.identify(List.of(block), wire);
        assertEquals(GalleryResult.resultBytes(1), served.length);
        assertEquals(9 + cap / 8 + (GalleryParameters.N * GalleryParameters.RESULT_LOG_T1 + cap * GalleryParameters.RESULT_LOG_T0) / 8, served.length);
        assertEquals(2, served[4], "the server answers in the compact v2 format");

        List<io.picrypt.ckks.Ciphertext> results = evaluator.resultCiphertexts(List.of(block), evaluator.expandProbe(wire));
        byte[] live = new byte[cap / 8];
        Arrays.fill(live, (byte) 0xFF);
        byte[] v2 = GalleryResult.write(List.of(live), results, GalleryParameters.get());
        byte[] v1 = GalleryResult.writeVersion1(List.of(live), results, GalleryParameters.get());
        assertTrue(v1.length > 3.4 * v2.length, v1.length + " vs " + v2.length);
        assertArrayEquals(v2, served, "the fused answer (CompactRelinearizer) equals relinearize + switchDown byte for byte");
        double[] compact = owner.decryptDistances(v2, cap), full = owner.decryptDistances(v1, cap);
        double maxErr = 0, maxFullErr = 0, maxSwitch = 0, switchSquares = 0;
        int within001 = 0, beyondBound = 0, changedNear = 0, pastMilli = 0;
        for (int s = 0; s < cap; s++) {
            double plain = plainD2(gallery.get(s), probe);
            assertTrue(Math.abs(plain - THRESHOLD) < D2_BOUND + 0.0101, "planted " + plain);
            if (Math.abs(plain - THRESHOLD) < 0.001) within001++;
            if (Math.abs(plain - THRESHOLD) > 0.001) {
                pastMilli++;
                assertEquals(plain <= THRESHOLD, compact[s] <= THRESHOLD, "slot " + s + ": plain " + plain + " compact " + compact[s]);
            }
            if (Math.abs(plain - THRESHOLD) > D2_BOUND) {
                beyondBound++;
                assertEquals(plain <= THRESHOLD, compact[s] <= THRESHOLD, "slot " + s + ": plain " + plain + " compact " + compact[s]);
                assertEquals(plain <= THRESHOLD, full[s] <= THRESHOLD, "slot " + s);
            } else if ((plain <= THRESHOLD) != (compact[s] <= THRESHOLD)) {
                changedNear++;
            }
            maxErr = Math.max(maxErr, Math.abs(compact[s] - plain));
            maxFullErr = Math.max(maxFullErr, Math.abs(full[s] - plain));
            maxSwitch = Math.max(maxSwitch, Math.abs(compact[s] - full[s]));
            switchSquares += (compact[s] - full[s]) * (compact[s] - full[s]);
        }
        assertTrue(within001 > cap / 3, "pairs within 0.001 of the threshold: " + within001);
        assertTrue(beyondBound > cap / 4, "pairs beyond the error bound: " + beyondBound);
        assertTrue(pastMilli > cap / 2, "pairs 0.001 .. 0.016 from the threshold: " + pastMilli);
        // d2 = 2 - 2<x,p>: the switch's worst case on d2 is twice its bound on the inner product
        assertTrue(maxSwitch <= 2 * GalleryParameters.COMPACT_SWITCH_ERROR, "switch error " + maxSwitch);
        // its typical size is the two roundings' (uniform, variance 1/12 each): (t1/t0)^2 / 12 for c0 and ||s||^2 / 12
        // ~ (2N/3) / 12 for c1 s (a uniform ternary key), at the compact scale, twice that on d2
        double switchRms = Math.sqrt(switchSquares / cap), predictedRms = 2 * Math.sqrt((Math.pow(Math.scalb(1.0,
                GalleryParameters.RESULT_LOG_T1 - GalleryParameters.RESULT_LOG_T0), 2) + 2.0 * GalleryParameters.N / 3) / 12)
                / GalleryParameters.COMPACT_RESULT_SCALE;
        assertTrue(switchRms < 1.25 * predictedRms, "switch error rms on d2 " + switchRms + ", rounding predicts " + predictedRms);
        // noise (the full-modulus answer) and noise + switch (the compact one) within their bounds; a block of 4,096
        // templates all near the probe, the probe's expansion rescaled after 5 of 7 levels
        assertTrue(maxFullErr <= 2 * GalleryKeyOwner.NOISE_BOUND, "max |d2 error| of the v1 answer " + maxFullErr);
        assertTrue(maxErr <= D2_BOUND, "max |d2 error| " + maxErr + " (" + changedNear + " decisions within the bound changed)");
        // the merge of compact partial answers keeps the version; versions do not mix
        assertEquals(v2.length, GalleryResult.join(GalleryResult.split(v2)).length);
        assertThrows(CkksException.class, () -> GalleryResult.join(List.of(v1, v2)));
        // a flipped bit in c1 spreads over every coefficient: the range check over the BLOCK_CAPACITY kept ones refuses it
        byte[] flipped = v2.clone();
        int coefficient = 28, bit = coefficient * GalleryParameters.RESULT_LOG_T1;
        assertEquals(0, bit % 8, "coefficient " + coefficient + " starts on a byte");
        flipped[9 + cap / 8 + bit / 8] ^= (byte) 0x80; // the top bit of c1 coefficient 28 (weight t1/2)
        assertThrows(IntegrityException.class, () -> owner.decryptDistances(flipped, cap));
        // another key cannot read it either: values are uniform mod 2^RESULT_LOG_T1, about four times the accepted range
        GalleryKeyOwner stranger = new GalleryKeyOwner(GalleryKeyOwner.generateSecretKey());
        assertThrows(IntegrityException.class, () -> stranger.decryptDistances(v2, cap));
    }

    /**
     * The served answer (each block's product sum relinearized and switched down in one pass, ckks.CompactRelinearizer)
     * equals the two-step path (Evaluator.relinearize, then CompactCiphertext.switchDown) byte for byte over several blocks:
     * a full bulk block, a partly enrolled one with a deleted slot, and a partly filled import.
     */
    @Test
    void fusedAnswerEqualsTheTwoStepPathOverSeveralBlocks() {
        int cap = GalleryParameters.BLOCK_CAPACITY;
        List<float[]> full = new ArrayList<>();
        for (int s = 0; s < cap; s++) full.add(unit(DIM));
        GalleryEvaluator.Block a = evaluator.importBlock(owner.encryptBlock(full));
        GalleryEvaluator.Block b = evaluator.newBlock();
        evaluator.enroll(b, 3, owner.encryptEnrollment(full.get(7)));
        evaluator.enroll(b, 2000, owner.encryptEnrollment(unit(DIM)));
        evaluator.delete(b, 2000);
        GalleryEvaluator.Block c = evaluator.importBlock(owner.encryptBlock(full.subList(100, 130)));
        evaluator.delete(c, 5);
        List<GalleryEvaluator.Block> blocks = List.of(a, b, c);
        float[] probe = full.get(7);
        List<io.picrypt.ckks.Ciphertext> expanded = evaluator.expandProbe(owner.encryptProbe(probe));
        byte[] fused = evaluator.identifyExpanded(blocks, expanded);
        List<byte[]> bitmaps = new ArrayList<>();
        for (GalleryEvaluator.Block blk : blocks) {
            byte[] bm = new byte[cap / 8];
            for (int s = 0; s < cap; s++) if (blk.slot(s) == GalleryEvaluator.SlotState.LIVE) bm[s >>> 3] |= (byte) (1 << (s & 7));
            bitmaps.add(bm);
        }
        byte[] twoStep = GalleryResult.write(bitmaps, evaluator.resultCiphertexts(blocks, expanded), GalleryParameters.get());
        assertArrayEquals(twoStep, fused);
        assertArrayEquals(fused, evaluator.answer(blocks, evaluator.productSums(blocks, expanded)));
        double[] d2 = owner.decryptDistances(fused, 3 * cap);
        assertEquals(0.0, d2[7], D2_BOUND);
        assertEquals(0.0, d2[cap + 3], D2_BOUND);
        // a full block: the probe's expansion noise (rescaled after 5 of 7 levels, ~6e-5 std on d^2 here) and the switch
        for (int s = 0; s < cap; s++) assertEquals(plainD2(full.get(s), probe), d2[s], D2_BOUND, "slot " + s);
    }
}
