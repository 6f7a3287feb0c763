package io.picrypt.server;

import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.SyntheticEmbeddings;
import io.picrypt.store.CorruptedDataException;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.SqliteStore;
import io.picrypt.store.StoreException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Single gallery enrollments are stored as pending rows (the enrollment ciphertext) and folded into their block later:
 * the gallery a server answers from is the same, word for word, whether it enrolled in memory, replayed the pending rows
 * after a crash, or folded them; a failed fold loses nothing; digests protect the pending rows.
 */
class GalleryPendingEnrollmentTest {
    static final String KS = "ks1";
    static GalleryKeyOwner owner;
    static byte[] evalKeys;

    @TempDir
    Path tmp;

    @BeforeAll
    static void keys() {
        owner = new GalleryKeyOwner(GalleryKeyOwner.generateSecretKey(), io.picrypt.match.GalleryProjection.synthetic(1));
        evalKeys = owner.evaluationKeys();
    }

    private static LocalGalleryService service(SqliteStore store) {
        return new LocalGalleryService(store, n -> true);
    }

    /** A store with a keyset, its gallery keys and one imported block of {@code bulk} identities. */
    private static SqliteStore setUp(Path dir, List<float[]> bulk) {
        SqliteStore store = SqliteStore.open(dir);
        store.createKeyset(new EnrollmentStore.Keyset(KS, new byte[32], "p", java.time.Instant.now()));
        LocalGalleryService s = service(store);
        s.setKeys(KS, evalKeys);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < bulk.size(); i++) names.add("bulk" + i);
        s.importBlock(KS, new GalleryFrames.Import(names, owner.encryptBlock(bulk)));
        return store;
    }

    /** Name -> decrypted squared distance to {@code probe}. */
    private static Map<String, Double> distances(GalleryFrames.Answer a) {
        double[] d = owner.distances(a);
        Map<String, Double> out = new HashMap<>();
        for (int i = 0; i < d.length; i++) out.put(a.entries().get(i).name(), d[i]);
        return out;
    }

    private static void assertPlaintextDecisions(Map<String, Double> got, Map<String, float[]> who, float[] probe) {
        assertEquals(who.keySet(), got.keySet());
        for (var e : who.entrySet()) {
            double plain = SyntheticEmbeddings.galleryDistance(io.picrypt.match.GalleryProjection.synthetic(1), e.getValue(), probe);
            assertEquals(plain, got.get(e.getKey()), io.picrypt.match.GalleryKeyOwner.DISTANCE_ERROR_BOUND, e.getKey());
        }
    }

    @Test
    void pendingEnrollmentsReplayWordForWordAfterACrashAndFoldIntoTheBlock() throws Exception {
        SplittableRandom rnd = new SplittableRandom(1);
        List<float[]> bulk = new ArrayList<>();
        Map<String, float[]> who = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            bulk.add(SyntheticEmbeddings.unit(rnd));
            who.put("bulk" + i, bulk.get(i));
        }
        Path dir = tmp.resolve("a");
        SqliteStore store = setUp(dir, bulk);
        long before = store.galleryBlock(KS, 0).orElseThrow().length;
        LocalGalleryService live = service(store);
        for (int i = 0; i < 3; i++) {
            float[] v = SyntheticEmbeddings.unit(rnd);
            who.put("single" + i, v);
            live.enroll(KS, "single" + i, owner.encryptEnrollment(v));
        }
        // stored as three pending rows; the block's bytes were not rewritten
        assertEquals(3, store.pendingEnrollments(KS).size());
        assertEquals(3, live.pendingCount(KS));
        assertEquals(before, store.galleryBlock(KS, 0).orElseThrow().length, "the block row is untouched (still seeded)");
        float[] probe = SyntheticEmbeddings.near(who.get("single1"), 0.5, rnd);
        byte[] probeBytes = owner.encryptProbe(probe);
        GalleryFrames.Answer inMemory = live.identify(KS, probeBytes);
        assertPlaintextDecisions(distances(inMemory), who, probe);

        // a crash (no close, no fold): a new process replays the pending rows, folding them as it loads
        live.stopFoldingForTests();
        LocalGalleryService restarted = service(store);
        GalleryFrames.Answer replayed = restarted.identify(KS, probeBytes);
        assertArrayEquals(inMemory.result(), replayed.result(), "replayed gallery answers word for word as the one enrolled in memory");
        assertEquals(inMemory.entries(), replayed.entries());
        assertTrue(store.pendingEnrollments(KS).isEmpty(), "folded at load");
        assertTrue(store.galleryBlock(KS, 0).orElseThrow().length > before, "the block now holds them (unseeded columns)");

        // and a third process reading the folded block computes the same again
        assertArrayEquals(inMemory.result(), service(store).identify(KS, probeBytes).result());

        // enrolling after the fold, then an explicit flush (as before a block download)
        float[] v = SyntheticEmbeddings.unit(rnd);
        who.put("single3", v);
        restarted.enroll(KS, "single3", owner.encryptEnrollment(v));
        assertEquals(1, store.pendingEnrollments(KS).size());
        restarted.flush(KS);
        assertTrue(store.pendingEnrollments(KS).isEmpty());
        assertEquals(0, restarted.pendingCount(KS));
        GalleryFrames.Answer afterFlush = restarted.identify(KS, probeBytes);
        assertArrayEquals(afterFlush.result(), service(store).identify(KS, probeBytes).result(), "the folded block is the in-memory block");
        assertPlaintextDecisions(distances(afterFlush), who, probe);

        // a deletion rewrites the whole block and drops its pending rows with it
        float[] w = SyntheticEmbeddings.unit(rnd);
        restarted.enroll(KS, "single4", owner.encryptEnrollment(w));
        assertTrue(restarted.delete(KS, "single0"));
        who.remove("single0");
        who.put("single4", w);
        assertTrue(store.pendingEnrollments(KS).isEmpty());
        GalleryFrames.Answer afterDelete = restarted.identify(KS, probeBytes);
        assertArrayEquals(afterDelete.result(), service(store).identify(KS, probeBytes).result());
        assertPlaintextDecisions(distances(afterDelete), who, probe);
        store.close();
    }

    @Test
    void aFailedFoldLosesNothingAndAnIdleKeysetIsFoldedInTheBackground() throws Exception {
        SplittableRandom rnd = new SplittableRandom(2);
        List<float[]> bulk = List.of(SyntheticEmbeddings.unit(rnd), SyntheticEmbeddings.unit(rnd));
        Path dir = tmp.resolve("b");
        setUp(dir, bulk).close();
        long pages, pageSize;
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteStore.FILE_NAME))) {
            try (var r = c.createStatement().executeQuery("PRAGMA page_count")) { pages = r.getLong(1); }
            try (var r = c.createStatement().executeQuery("PRAGMA page_size")) { pageSize = r.getLong(1); }
        }
        // room for a few pending rows (~220 KB each) but not for the block's rewrite (~7 MB more): 2 MB
        long limit = pages + (2L << 20) / pageSize;
        AtomicBoolean limited = new AtomicBoolean(true);
        SqliteStore tight = SqliteStore.open(dir, () -> limited.get() ? List.of("PRAGMA max_page_count = " + limit) : List.of());
        LocalGalleryService s = service(tight);
        float[] a = SyntheticEmbeddings.unit(rnd), b = SyntheticEmbeddings.unit(rnd);
        s.enroll(KS, "a", owner.encryptEnrollment(a));
        s.enroll(KS, "b", owner.encryptEnrollment(b));
        StoreException full = assertThrows(StoreException.class, () -> s.flush(KS));
        assertEquals(StoreException.Kind.FULL, full.kind());
        assertEquals(2, s.pendingCount(KS), "still pending in memory");
        float[] probe = SyntheticEmbeddings.near(b, 0.4, rnd);
        byte[] probeBytes = owner.encryptProbe(probe);
        GalleryFrames.Answer before = s.identify(KS, probeBytes);
        s.stopFoldingForTests();
        tight.close();

        SqliteStore roomy = SqliteStore.open(dir);
        assertEquals(2, roomy.pendingEnrollments(KS).size(), "the failed fold left the pending rows");
        LocalGalleryService next = service(roomy);
        GalleryFrames.Answer after = next.identify(KS, probeBytes);
        assertArrayEquals(before.result(), after.result());
        Map<String, float[]> who = new HashMap<>(Map.of("bulk0", bulk.get(0), "bulk1", bulk.get(1), "a", a, "b", b));
        assertPlaintextDecisions(distances(after), who, probe);

        // background fold once the keyset is idle
        float[] c = SyntheticEmbeddings.unit(rnd);
        next.enroll(KS, "c", owner.encryptEnrollment(c));
        assertEquals(1, roomy.pendingEnrollments(KS).size());
        long deadline = System.nanoTime() + 30_000_000_000L;
        while ((!roomy.pendingEnrollments(KS).isEmpty() || next.pendingCount(KS) != 0) && System.nanoTime() < deadline) Thread.sleep(200);
        assertTrue(roomy.pendingEnrollments(KS).isEmpty(), "folded in the background after " + LocalGalleryService.FOLD_IDLE_MS + " ms idle");
        assertEquals(0, next.pendingCount(KS));
        roomy.close();
    }

    /**
     * A gallery the cache cannot hold (16 MiB budget: its keys and one 16 MiB block) is evicted right after an
     * enrollment: its pending row is folded from the evicted block in the background (before this, it stayed pending and
     * every reload replayed it: an expansion each), word for word the block a replay computes, and the reloaded gallery
     * answers as in plaintext.
     */
    @Test
    void aGalleryEvictedFromTheCacheIsFoldedFromItsBlocksNotReplayedAtTheNextLoad() throws Exception {
        SplittableRandom rnd = new SplittableRandom(4);
        List<float[]> bulk = List.of(SyntheticEmbeddings.unit(rnd), SyntheticEmbeddings.unit(rnd));
        SqliteStore store = setUp(tmp.resolve("e"), bulk);
        byte[] stored = store.galleryBlock(KS, 0).orElseThrow();
        long budget = 16L << 20;
        ServerConfig cfg = ServerConfig.defaults(tmp.resolve("unused"), 0).withLimits(Limits.parse("cacheBytes=" + budget));
        try (PiCryptServer server = new PiCryptServer(cfg, store, false)) {
            LocalGalleryService g = (LocalGalleryService) server.gallery();
            float[] v = SyntheticEmbeddings.unit(rnd);
            byte[] enrollment = owner.encryptEnrollment(v);
            g.enroll(KS, "single", enrollment);
            // folded well before the idle fold (FOLD_IDLE_MS), which skips a gallery that is not in memory
            long deadline = System.nanoTime() + (LocalGalleryService.FOLD_IDLE_MS - 1_000) * 1_000_000L;
            while (!store.pendingEnrollments(KS).isEmpty() && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(store.pendingEnrollments(KS).isEmpty(), "the evicted gallery's pending row was folded");
            assertTrue(server.cachedBytes() <= budget);
            // the folded bytes are what a replay computes from the stored block and the enrollment
            io.picrypt.match.GalleryEvaluator replay = new io.picrypt.match.GalleryEvaluator(evalKeys);
            io.picrypt.match.GalleryEvaluator.Block block = replay.readBlock(stored);
            replay.enroll(block, bulk.size(), enrollment);
            assertArrayEquals(block.toBytes(), store.galleryBlock(KS, 0).orElseThrow());
            float[] probe = SyntheticEmbeddings.near(v, 0.4, rnd);
            GalleryFrames.Answer a = g.identify(KS, owner.encryptProbe(probe));
            assertPlaintextDecisions(distances(a), Map.of("bulk0", bulk.get(0), "bulk1", bulk.get(1), "single", v), probe);
        }
        store.close();
    }

    @Test
    void aTamperedPendingRowIsRefused() throws Exception {
        SplittableRandom rnd = new SplittableRandom(3);
        Path dir = tmp.resolve("c");
        SqliteStore store = setUp(dir, List.of(SyntheticEmbeddings.unit(rnd)));
        LocalGalleryService s = service(store);
        s.enroll(KS, "x", owner.encryptEnrollment(SyntheticEmbeddings.unit(rnd)));
        s.stopFoldingForTests();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteStore.FILE_NAME))) {
            byte[] e;
            try (var r = c.createStatement().executeQuery("SELECT enrollment FROM gallery_pending")) {
                e = r.getBytes(1);
            }
            e[e.length / 2] ^= 1;
            try (var u = c.prepareStatement("UPDATE gallery_pending SET enrollment = ?")) {
                u.setBytes(1, e);
                assertEquals(1, u.executeUpdate());
            }
        }
        assertThrows(CorruptedDataException.class, () -> store.pendingEnrollments(KS));
        assertThrows(CorruptedDataException.class, () -> service(store).identify(KS, owner.encryptProbe(SyntheticEmbeddings.unit(rnd))),
                "nothing is computed on a gallery whose pending row fails its digest");
        store.close();
    }

    /** A fold that lost a race (its rows were dropped by a whole-block write meanwhile) is refused whole: older bytes never replace newer ones. */
    @Test
    void aLateFoldIsRefusedWholeAndLeavesTheNewerBlock() throws Exception {
        SplittableRandom rnd = new SplittableRandom(4);
        Path dir = tmp.resolve("d");
        SqliteStore store = setUp(dir, List.of(SyntheticEmbeddings.unit(rnd), SyntheticEmbeddings.unit(rnd)));
        LocalGalleryService s = service(store);
        s.stopFoldingForTests();
        s.enroll(KS, "a", owner.encryptEnrollment(SyntheticEmbeddings.unit(rnd)));
        byte[] stale = store.galleryBlock(KS, 0).orElseThrow(); // what a slow fold might still write (here: without "a")
        int slot = store.pendingEnrollments(KS).get(0).slot();
        assertTrue(s.delete(KS, "bulk0")); // whole-block write: "a" folded into it, its pending row dropped
        byte[] newer = store.galleryBlock(KS, 0).orElseThrow();
        assertTrue(store.pendingEnrollments(KS).isEmpty());
        StoreException late = assertThrows(StoreException.class, () -> store.foldGalleryBlock(KS, 0, stale, List.of(slot)));
        assertEquals(StoreException.Kind.CONFLICT, late.kind());
        assertArrayEquals(newer, store.galleryBlock(KS, 0).orElseThrow(), "the refused fold changed nothing");
        store.close();
    }
}
