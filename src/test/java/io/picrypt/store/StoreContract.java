package io.picrypt.store;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/** What every EnrollmentStore must do; run against SQLite always and PostgreSQL when one is reachable. */
abstract class StoreContract {
    /** A fresh handle on the same database each call (so reopening tests persistence). */
    abstract EnrollmentStore open();

    static String newKeyset(EnrollmentStore s) {
        String id = "ks_" + UUID.randomUUID();
        s.createKeyset(new EnrollmentStore.Keyset(id, new byte[]{1, 2, 3}, "fp", Instant.ofEpochMilli(1_000)));
        return id;
    }

    @Test
    void templatesReplaceAddLimitListDeleteAndPersist() {
        String id;
        try (EnrollmentStore s = open()) {
            id = newKeyset(s);
            assertArrayEquals(new byte[]{1, 2, 3}, s.keyset(id).orElseThrow().tokenHash());
            long g0 = s.generation(id);
            assertEquals(1, s.putTemplate(id, "alice", new byte[]{10}, true, 3));
            assertTrue(s.generation(id) != g0, "a write bumps the generation");
            assertEquals(2, s.putTemplate(id, "alice", new byte[]{11}, false, 3));
            assertEquals(3, s.putTemplate(id, "alice", new byte[]{12}, false, 3));
            assertEquals(StoreException.Kind.LIMIT, assertThrows(StoreException.class,
                    () -> s.putTemplate(id, "alice", new byte[]{13}, false, 3)).kind(), "the limit is a typed error");
            assertEquals(3, s.templates(id, "alice").size(), "a refused write changes nothing");
            assertEquals(1, s.putTemplate(id, "bob", new byte[]{20, 21}, true, 3));
            assertEquals(1, s.putTemplate(id, "bob", new byte[]{22}, true, 3), "replace drops the old templates");
            assertEquals(List.of("alice", "bob"), s.list(id).stream().map(EnrollmentStore.IdentitySummary::name).toList());
            assertEquals(4, s.storedBytes(id));
            assertEquals(List.of("alice", "alice", "alice", "bob"), s.allTemplates(id).stream().map(EnrollmentStore.Template::name).toList());
            assertTrue(s.deleteIdentity(id, "bob"));
            assertFalse(s.deleteIdentity(id, "bob"));
            assertTrue(s.templates("ks_other", "alice").isEmpty());
        }
        try (EnrollmentStore s = open()) {
            List<byte[]> t = s.templates(id, "alice");
            assertEquals(3, t.size());
            assertArrayEquals(new byte[]{10}, t.get(0));
            assertArrayEquals(new byte[]{12}, t.get(2));
            assertTrue(s.deleteKeyset(id));
            assertTrue(s.keyset(id).isEmpty());
            assertTrue(s.templates(id, "alice").isEmpty());
        }
    }

    @Test
    void galleryBlocksAndNames() {
        try (EnrollmentStore s = open()) {
            String id = newKeyset(s);
            assertTrue(s.evaluationKeys(id).isEmpty());
            assertFalse(s.hasEvaluationKeys(id));
            s.setEvaluationKeys(id, new byte[]{7, 7});
            assertArrayEquals(new byte[]{7, 7}, s.evaluationKeys(id).orElseThrow());
            assertTrue(s.hasEvaluationKeys(id));
            assertFalse(s.hasEvaluationKeys("no such keyset"));
            assertEquals(0, s.addGalleryBlock(id, new byte[]{1, 1, 1}, List.of("a", "b")));
            assertEquals(1, s.addGalleryBlock(id, new byte[]{2}, List.of("c")));
            s.putGalleryName(id, 1, new byte[]{2, 2}, "d", 1);
            s.putGalleryName(id, 2, new byte[]{3}, "e", 0);
            assertEquals(List.of("a", "b", "c", "d", "e"), s.galleryNames(id).stream().map(EnrollmentStore.GalleryName::name).toList());
            assertThrows(StoreException.class, () -> s.putGalleryName(id, 2, new byte[]{9}, "e", 1), "names are unique");
            assertArrayEquals(new byte[]{3}, s.galleryBlocks(id).get(2).data(), "the refused write left the block as it was");
            // a writer whose copy of block 1 is stale (a cluster member that took it over from a backup missing "d")
            // must not put another name into d's slot: refused as a conflict, block and names unchanged
            StoreException stale = assertThrows(StoreException.class, () -> s.putGalleryName(id, 1, new byte[]{8, 8}, "f", 1));
            assertEquals(StoreException.Kind.CONFLICT, stale.kind());
            assertEquals(StoreException.Kind.CONFLICT, assertThrows(StoreException.class,
                    () -> s.putGalleryName(id, 2, new byte[]{9}, "e", 1)).kind(), "a stored name is a conflict too");
            assertArrayEquals(new byte[]{2, 2}, s.galleryBlocks(id).get(1).data());
            assertEquals(List.of("a", "b", "c", "d", "e"), s.galleryNames(id).stream().map(EnrollmentStore.GalleryName::name).toList());
            s.removeFromGallery(id, 0, new byte[]{1, 1, 0}, "b");
            assertEquals(List.of("a", "c", "d", "e"), s.galleryNames(id).stream().map(EnrollmentStore.GalleryName::name).toList());
            assertArrayEquals(new byte[]{1, 1, 0}, s.galleryBlocks(id).get(0).data());
            assertEquals(3 + 2 + 1, s.galleryBytes(id));
            assertTrue(s.deleteKeyset(id));
            assertTrue(s.galleryBlocks(id).isEmpty() && s.galleryNames(id).isEmpty());
        }
    }

    /** A block import is refused whole, in its own transaction, when one of its names is stored already (found by index, in chunks). */
    @Test
    void galleryBlockWithAStoredNameIsRefusedWhole() {
        try (EnrollmentStore s = open()) {
            String id = newKeyset(s);
            assertEquals(new GalleryStore.GallerySize(0, 0), s.gallerySize(id));
            assertEquals(0, s.addGalleryBlock(id, new byte[]{1}, List.of("a", "b")));
            List<String> names = new java.util.ArrayList<>();
            for (int i = 0; i < 600; i++) names.add("n" + i);
            names.set(520, "b"); // beyond the first look-up chunks
            StoreException dup = assertThrows(StoreException.class, () -> s.addGalleryBlock(id, new byte[]{2}, names));
            assertEquals(StoreException.Kind.CONFLICT, dup.kind());
            assertTrue(dup.getMessage().contains("'b'"), dup.getMessage());
            assertEquals(new GalleryStore.GallerySize(1, 2), s.gallerySize(id), "nothing of the refused block was written");
            assertEquals(List.of("a", "b"), s.galleryNames(id).stream().map(EnrollmentStore.GalleryName::name).toList());
            names.set(520, "n520");
            assertEquals(1, s.addGalleryBlock(id, new byte[]{2}, names));
            assertEquals(new GalleryStore.GallerySize(2, 602), s.gallerySize(id));
            assertTrue(s.deleteKeyset(id));
            assertEquals(new GalleryStore.GallerySize(0, 0), s.gallerySize(id));
        }
    }

    /**
     * A gallery's block headers are read without the blocks (first bytes, block order), and the whole gallery (blocks,
     * names, pending rows) drops in one transaction while the evaluation keys, templates and other keysets stay.
     */
    @Test
    void galleryHeadersAndDrop() {
        try (EnrollmentStore s = open()) {
            String id = newKeyset(s), other = newKeyset(s);
            s.setEvaluationKeys(id, new byte[]{9});
            s.putTemplate(id, "t", new byte[]{7}, true, 3);
            byte[] big = new byte[100_000];
            big[0] = 'P';
            big[4] = 2;
            assertEquals(0, s.addGalleryBlock(id, big, List.of("a")));
            assertEquals(1, s.addGalleryBlock(id, new byte[]{'P', 'C', 'G', 'S', 1, 0, 0}, List.of("b")));
            assertEquals(2, s.addGalleryBlock(id, new byte[]{3, 4}, List.of("c")));
            s.putGalleryEnrollment(id, 2, null, "d", 1, new byte[]{5});
            s.addGalleryBlock(other, new byte[]{1}, List.of("a"));
            List<byte[]> h = s.galleryBlockHeaders(id, 5);
            assertEquals(3, h.size());
            assertArrayEquals(new byte[]{'P', 0, 0, 0, 2}, h.get(0));
            assertArrayEquals(new byte[]{'P', 'C', 'G', 'S', 1}, h.get(1));
            assertArrayEquals(new byte[]{3, 4}, h.get(2), "a shorter block whole");
            s.dropGallery(id);
            assertEquals(new GalleryStore.GallerySize(0, 0), s.gallerySize(id));
            assertTrue(s.pendingEnrollments(id).isEmpty());
            assertTrue(s.galleryNames(id).isEmpty());
            assertTrue(s.galleryBlockHeaders(id, 5).isEmpty());
            assertArrayEquals(new byte[]{9}, s.evaluationKeys(id).orElseThrow(), "the evaluation keys stay");
            assertTrue(s.hasEvaluationKeys(id), "the evaluation keys stay");
            assertEquals(1, s.templates(id, "t").size());
            assertEquals(new GalleryStore.GallerySize(1, 1), s.gallerySize(other), "another keyset's gallery stays");
            assertEquals(0, s.addGalleryBlock(id, new byte[]{1}, List.of("a")), "numbering starts again at 0");
            s.deleteKeyset(id);
            s.deleteKeyset(other);
        }
    }
}
