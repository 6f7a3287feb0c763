package io.picrypt.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.picrypt.ckks.SecretKey;
import io.picrypt.client.ClientException;
import io.picrypt.client.KeysetSetup;
import io.picrypt.client.MatchSession;
import io.picrypt.http.ApiException;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.SyntheticEmbeddings;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.GalleryStore;
import io.picrypt.store.SqliteStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bulk import at scale (issue 16): an import never loads the gallery's blocks (a gallery too large for the cache
 * would otherwise be read back from the store for every block), duplicates are still refused against the store,
 * and the client's pipelined import stops at the first refused block.
 */
class GalleryImportTest {
    @TempDir
    Path dir;

    /** The gallery store of {@code s}, counting reads of block bytes. */
    static final class CountingStore implements GalleryStore {
        final EnrollmentStore s;
        final AtomicInteger blockReads = new AtomicInteger();

        CountingStore(EnrollmentStore s) { this.s = s; }

        @Override public void setEvaluationKeys(String k, byte[] keys) { s.setEvaluationKeys(k, keys); }
        @Override public Optional<byte[]> evaluationKeys(String k) { return s.evaluationKeys(k); }
        @Override public int addGalleryBlock(String k, byte[] data, List<String> names) { return s.addGalleryBlock(k, data, names); }
        @Override public void putGalleryName(String k, int b, byte[] data, String name, int slot) { s.putGalleryName(k, b, data, name, slot); }
        @Override public void removeFromGallery(String k, int b, byte[] data, String name) { s.removeFromGallery(k, b, data, name); }
        @Override public void putGalleryEnrollment(String k, int b, byte[] newBlock, String name, int slot, byte[] enrollment) {
            s.putGalleryEnrollment(k, b, newBlock, name, slot, enrollment);
        }
        @Override public List<PendingEnrollment> pendingEnrollments(String k) { return s.pendingEnrollments(k); }
        @Override public void foldGalleryBlock(String k, int b, byte[] data, List<Integer> slots) { s.foldGalleryBlock(k, b, data, slots); }
        @Override public List<GalleryBlock> galleryBlocks(String k) { blockReads.incrementAndGet(); return s.galleryBlocks(k); }
        @Override public Optional<byte[]> galleryBlock(String k, int b) { blockReads.incrementAndGet(); return s.galleryBlock(k, b); }
        @Override public void replaceGallery(String k, List<byte[]> blocks, List<List<String>> names) { s.replaceGallery(k, blocks, names); }
        @Override public List<GalleryName> galleryNames(String k) { return s.galleryNames(k); }
        @Override public GallerySize gallerySize(String k) { return s.gallerySize(k); }
        @Override public long galleryBytes(String k) { return s.galleryBytes(k); }
        // the layout check reads only each block's first bytes (SUBSTR in SQL), not a stored block
        @Override public List<byte[]> galleryBlockHeaders(String k, int bytes) { return s.galleryBlockHeaders(k, bytes); }
    }

    @Test
    void importIntoAGalleryNotInMemoryNeverLoadsItAndStillRefusesDuplicates() {
        SplittableRandom r = new SplittableRandom(5);
        SecretKey gsk = GalleryKeyOwner.generateSecretKey();
        GalleryKeyOwner owner = new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1));
        try (SqliteStore sqlite = SqliteStore.open(dir)) {
            String id = "ks_import";
            sqlite.createKeyset(new EnrollmentStore.Keyset(id, new byte[]{1}, "fp", Instant.now()));
            CountingStore store = new CountingStore(sqlite);
            // a cache too small for any loaded gallery (as a 1M gallery is for the default budget), large enough for a tally
            Cache<String, Object> cache = Caffeine.newBuilder().executor(Runnable::run).maximumWeight(100)
                    .weigher((String k, Object v) -> v instanceof LocalGalleryService.Loaded ? 1000 : 1).build();
            LocalGalleryService gallery = new LocalGalleryService(store, PiCryptServer::validName, cache, (k, b, n) -> {});
            gallery.setKeys(id, owner.evaluationKeys());
            cache.cleanUp();
            assertNull(cache.getIfPresent("b:" + id), "the loaded gallery does not fit this cache");

            List<float[]> people = new ArrayList<>();
            for (int b = 0; b < 3; b++) {
                List<float[]> block = new ArrayList<>();
                List<String> names = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    float[] v = SyntheticEmbeddings.unit(r);
                    people.add(v);
                    block.add(v);
                    names.add("p" + (3 * b + i));
                }
                int reads = store.blockReads.get();
                GalleryService.Imported imp = gallery.importBlock(id, new GalleryFrames.Import(names, owner.encryptBlock(block)));
                assertEquals(b, imp.block());
                assertEquals(3 * (b + 1), imp.identities());
                assertEquals(reads, store.blockReads.get(), "an import reads no stored block");
            }
            // a name stored in an earlier block is refused (from the store: the gallery is not in memory), nothing written
            ApiException dup = assertThrows(ApiException.class, () -> gallery.importBlock(id,
                    new GalleryFrames.Import(List.of("new one", "p4"), owner.encryptBlock(List.of(SyntheticEmbeddings.unit(r), SyntheticEmbeddings.unit(r))))));
            assertEquals(409, dup.status());
            assertEquals("duplicate_name", dup.code());
            assertTrue(dup.getMessage().contains("'p4'"), dup.getMessage());
            assertEquals(409, assertThrows(ApiException.class, () -> gallery.importBlock(id,
                    new GalleryFrames.Import(List.of("twice", "twice"), owner.encryptBlock(List.of(SyntheticEmbeddings.unit(r), SyntheticEmbeddings.unit(r)))))).status());
            assertEquals(new GalleryStore.GallerySize(3, 9), sqlite.gallerySize(id));
            // counts without loading
            GalleryService.Info info = gallery.info(id, false);
            assertEquals(9, info.identities());
            assertEquals(3, info.blocks());
            assertEquals(0, store.blockReads.get());

            // identify loads the gallery from the store, block by block, and finds everyone imported above
            float[] probe = SyntheticEmbeddings.near(people.get(7), 0.3, r);
            GalleryFrames.Answer a = gallery.identify(id, owner.encryptProbe(probe));
            assertEquals(3, store.blockReads.get(), "one read per block");
            assertEquals(9, a.entries().size());
            double[] d = owner.distances(a);
            int best = 0;
            for (int i = 1; i < d.length; i++) if (d[i] < d[best]) best = i;
            assertEquals("p7", a.entries().get(best).name());
            assertEquals(SyntheticEmbeddings.galleryDistance(io.picrypt.match.GalleryProjection.synthetic(1), people.get(7), probe), d[best], io.picrypt.match.GalleryKeyOwner.DISTANCE_ERROR_BOUND);
        }
    }

    @Test
    void pipelinedImportStopsAtTheFirstRefusedBlock() {
        Limits limits = Limits.parse("maxGalleryBlocks=2");
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(dir, 0).withLimits(limits)).start()) {
            KeysetSetup.Keys keys = KeysetSetup.create(URI.create("http://127.0.0.1:" + server.port()), null, true);
            MatchSession s = keys.session(keys.http(), null, 1.0);
            int cap = GalleryParameters.BLOCK_CAPACITY;
            List<MatchSession.ImportedBlock> done = new ArrayList<>();
            AtomicInteger asked = new AtomicInteger();
            ClientException quota = assertThrows(ClientException.class, () -> s.importGallery(3 * cap, i -> "n" + i, i -> {
                asked.incrementAndGet();
                return SyntheticEmbeddings.unit(new SplittableRandom(i));
            }, done::add));
            assertEquals(507, quota.status());
            assertEquals(2, done.size(), "the blocks before the refused one were imported");
            assertEquals(List.of(0, 1), done.stream().map(MatchSession.ImportedBlock::block).toList());
            assertEquals(cap, done.get(1).from());
            assertTrue(done.stream().allMatch(b -> b.bytes() > 7_000_000 && b.serverMs() >= 0 && b.encryptMs() > 0));
            assertEquals(3 * cap, asked.get(), "embeddings are asked for block by block, never beyond the blocks encrypted ahead");
            assertEquals(2 * cap, keys.http().galleryInfo().get("identities").asInt());
        }
    }
}
