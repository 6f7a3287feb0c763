package io.picrypt.server;

import io.picrypt.http.ApiException;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryPosition;
import io.picrypt.match.GalleryResult;
import io.picrypt.match.GalleryEvaluator;
import io.picrypt.store.GalleryStore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * The gallery of a single server: every block of a keyset in this process's memory (loaded from the
 * {@link GalleryStore} on first use), writes serialized per keyset, each written to the store before the
 * in-memory snapshot is published. Readers (identify) see an immutable snapshot and never wait for writers.
 */
public final class LocalGalleryService implements GalleryService {
    /** A keyset's gallery in memory: the evaluator built from its keys, its blocks, and who is where. */
    record Loaded(GalleryEvaluator evaluator, List<GalleryEvaluator.Block> blocks, List<GalleryFrames.Entry> entries) {
        /** Estimated memory (expansion keys on the heap + blocks off it), the cache's weight (PiCryptServer's measured constants). */
        long memoryBytes() {
            return PiCryptServer.GALLERY_KEYS_HEAP_BYTES + blocks.size() * PiCryptServer.BLOCK_BYTES;
        }
    }

    /** Called before a block is added: {@code blocks} already stored, {@code bytes} to be added; throws to refuse (quota). */
    @FunctionalInterface
    public interface BlockAdmission {
        void admit(String keyset, int blocks, long bytes);
    }

    private final GalleryStore store;
    private final Predicate<String> validName;
    /** Loaded galleries under key "b:" + keyset, in a cache that may be shared (and bounded) with other caches. */
    private final Cache<String, Object> loaded;
    private final BlockAdmission admission;
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

    /** @param validName the server's name syntax, applied to names inside imported blocks; no memory bound, no quota */
    public LocalGalleryService(GalleryStore store, Predicate<String> validName) {
        this(store, validName, Caffeine.newBuilder().build(), (k, b, n) -> {});
    }

    /**
     * @param cache     where loaded galleries live (key "b:" + keyset); a bounded cache evicts cold galleries, which are
     *                  reloaded from the store on next use
     * @param admission the quota check before a block is added
     */
    public LocalGalleryService(GalleryStore store, Predicate<String> validName, Cache<String, Object> cache, BlockAdmission admission) {
        this.store = store;
        this.validName = validName;
        this.loaded = cache;
        this.admission = admission;
    }

    private Loaded cached(String id) {
        return (Loaded) loaded.getIfPresent("b:" + id);
    }

    private void publish(String id, Loaded g) {
        loaded.put("b:" + id, g);
    }

    private void drop(String id) {
        loaded.invalidate("b:" + id);
    }

    private Object lock(String id) {
        return locks.computeIfAbsent(id, k -> new Object());
    }

    @Override
    public Info info(String id, boolean names) {
        Loaded g = load(id, false);
        List<String> list = g == null || !names ? List.of() : g.entries().stream().map(GalleryFrames.Entry::name).toList();
        return new Info(g != null, g == null ? 0 : g.entries().size(), g == null ? 0 : g.blocks().size(), store.galleryBytes(id), list);
    }

    @Override
    public void setKeys(String id, byte[] keys) {
        GalleryEvaluator gs = new GalleryEvaluator(keys); // validates: exactly the expansion keys, our parameters
        synchronized (lock(id)) {
            store.setEvaluationKeys(id, keys);
            drop(id);
            publish(id, read(id, gs));
        }
    }

    @Override
    public Imported importBlock(String id, GalleryFrames.Import imp) {
        synchronized (lock(id)) {
            Loaded g = load(id, true);
            Set<String> seen = new HashSet<>();
            for (GalleryFrames.Entry e : g.entries()) seen.add(e.name());
            for (String n : imp.names()) {
                if (!validName.test(n)) throw ApiException.badRequest("bad name in the import: '" + n + "'");
                if (!seen.add(n)) throw new ApiException(409, "duplicate_name", "'" + n + "' is already in the gallery or twice in the import");
            }
            admission.admit(id, g.blocks().size(), imp.block().length);
            GalleryEvaluator.Block block = g.evaluator().importBlock(imp.block());
            if (block.liveCount() != imp.names().size()) {
                throw ApiException.badRequest("the block holds " + block.liveCount() + " identities but " + imp.names().size() + " names were given");
            }
            int no = store.addGalleryBlock(id, block.toBytes(), imp.names());
            if (no != g.blocks().size()) {
                drop(id);
                throw new IllegalStateException("gallery block numbering out of step; reloaded");
            }
            List<GalleryEvaluator.Block> blocks = new ArrayList<>(g.blocks());
            blocks.add(block);
            List<GalleryFrames.Entry> entries = new ArrayList<>(g.entries());
            for (int i = 0; i < imp.names().size(); i++) entries.add(new GalleryFrames.Entry(new GalleryPosition(no, i).index(), imp.names().get(i)));
            publish(id, new Loaded(g.evaluator(), List.copyOf(blocks), List.copyOf(entries)));
            return new Imported(no, entries.size());
        }
    }

    @Override
    public Enrolled enroll(String id, String name, byte[] enrollment) {
        synchronized (lock(id)) {
            Loaded g = load(id, true);
            if (g.entries().stream().anyMatch(e -> e.name().equals(name))) {
                throw new ApiException(409, "duplicate_name", "'" + name + "' is already in the gallery (delete it first)");
            }
            List<GalleryEvaluator.Block> blocks = new ArrayList<>(g.blocks());
            int no = blocks.size() - 1;
            GalleryEvaluator.Block block = no >= 0 ? blocks.get(no) : null;
            if (block == null || block.firstFreeSlot() < 0) {
                admission.admit(id, blocks.size(), PiCryptServer.BLOCK_BYTES);
                block = g.evaluator().newBlock();
                blocks.add(block);
                no = blocks.size() - 1;
            }
            GalleryPosition at = new GalleryPosition(no, block.firstFreeSlot());
            g.evaluator().enroll(block, at.slot(), enrollment); // validates; publishes a new snapshot of the block
            try {
                store.putGalleryName(id, at.block(), block.toBytes(), name, at.slot());
            } catch (RuntimeException ex) {
                drop(id); // memory is ahead of the store: reload from the store, which is unchanged
                throw ex;
            }
            List<GalleryFrames.Entry> entries = new ArrayList<>(g.entries());
            entries.add(new GalleryFrames.Entry(at.index(), name));
            publish(id, new Loaded(g.evaluator(), List.copyOf(blocks), List.copyOf(entries)));
            return new Enrolled(name, at, entries.size());
        }
    }

    @Override
    public Enrolled replace(String id, String name, byte[] enrollment) {
        io.picrypt.ckks.Serializer.readCiphertext(enrollment, GalleryParameters.get()); // malformed: refused before the old entry goes
        synchronized (lock(id)) { // reentrant: delete and enroll take the same lock
            load(id, true);
            delete(id, name);
            return enroll(id, name, enrollment);
        }
    }

    @Override
    public boolean delete(String id, String name) {
        synchronized (lock(id)) {
            Loaded g = load(id, false);
            if (g == null) return false;
            GalleryFrames.Entry e = g.entries().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
            if (e == null) return false;
            GalleryPosition at = GalleryPosition.of(e.position());
            GalleryEvaluator.Block block = g.blocks().get(at.block());
            g.evaluator().delete(block, at.slot());
            try {
                store.removeFromGallery(id, at.block(), block.toBytes(), name);
            } catch (RuntimeException ex) {
                drop(id); // the in-memory block was tombstoned: reload from the store, which is unchanged
                throw ex;
            }
            List<GalleryFrames.Entry> entries = new ArrayList<>(g.entries());
            entries.remove(e);
            publish(id, new Loaded(g.evaluator(), g.blocks(), List.copyOf(entries)));
            return true;
        }
    }

    @Override
    public GalleryFrames.Answer identify(String id, byte[] probe) {
        Loaded g = load(id, true);
        // an empty gallery answers without expanding the probe (the expansion is most of the cost)
        byte[] result = g.blocks().isEmpty()
                ? GalleryResult.write(List.of(), List.of(), GalleryParameters.get())
                : g.evaluator().identify(g.blocks(), probe);
        return new GalleryFrames.Answer(IntStream.range(0, g.blocks().size()).boxed().toList(), liveEntries(g, newest(id), result), result);
    }

    @Override
    public Compacted compact(String id, int expectedBlocks, List<GalleryFrames.Import> imports) {
        synchronized (lock(id)) {
            Loaded g = load(id, true);
            if (g.blocks().size() != expectedBlocks) {
                throw new ApiException(409, "gallery_changed", "the gallery has " + g.blocks().size() + " blocks, not the " + expectedBlocks
                        + " this compaction was computed from; nothing was changed: run it again");
            }
            if (imports.size() > expectedBlocks) throw ApiException.badRequest("a compaction may not add blocks");
            List<byte[]> data = new ArrayList<>();
            List<List<String>> names = GalleryService.checkCompaction(g.entries().stream().map(GalleryFrames.Entry::name).toList(), imports, imp -> {
                GalleryEvaluator.Block b = g.evaluator().importBlock(imp.block());
                data.add(b.toBytes());
                return b.liveCount();
            });
            try {
                store.replaceGallery(id, data, names);
            } finally {
                drop(id); // reload from the store, whichever way the transaction ended
            }
            return new Compacted(expectedBlocks, data.size(), g.entries().size());
        }
    }

    /**
     * The names of exactly the slots the result reports live. Writers change a block's slot states in place (the block
     * publishes a new state) while an identify computes on an older snapshot {@code g}, so a slot enrolled or deleted
     * meanwhile may be live in the result but missing from {@code g}'s names, or the other way round: take the name
     * from {@code g} or from the newest snapshot (a position never names two identities: deleted slots are not reused).
     */
    private static List<GalleryFrames.Entry> liveEntries(Loaded g, Loaded newest, byte[] result) {
        int live = 0;
        if (g.blocks().isEmpty()) return List.of();
        GalleryResult.Contents r = GalleryResult.read(result, GalleryParameters.get());
        java.util.TreeMap<Integer, GalleryFrames.Entry> byPosition = new java.util.TreeMap<>();
        for (Loaded l : newest == null || newest == g ? List.of(g) : List.of(g, newest)) {
            for (GalleryFrames.Entry e : l.entries()) {
                GalleryPosition at = GalleryPosition.of(e.position());
                if (at.block() < r.blocks().size() && r.blocks().get(at.block()).live(at.slot())) byPosition.putIfAbsent(e.position(), e);
            }
        }
        for (GalleryResult.BlockResult b : r.blocks()) {
            for (int s = 0; s < GalleryParameters.BLOCK_CAPACITY; s++) if (b.live(s)) live++;
        }
        if (live != byPosition.size()) {
            // a write failed at the store after changing the block in memory (the gallery is being reloaded): answer nothing
            throw new ApiException(503, "busy", "the gallery changed during this identify; retry").retryAfterSeconds(1);
        }
        return List.copyOf(byPosition.values());
    }

    /** The newest snapshot, read under the keyset's lock: a slot a writer made live is then published with its name. */
    private Loaded newest(String id) {
        synchronized (lock(id)) {
            return cached(id);
        }
    }

    @Override
    public void forget(String id) {
        drop(id);
    }

    /** The keyset's gallery (loaded from the store on first use); null or 409 when no keys were uploaded. */
    private Loaded load(String id, boolean required) {
        Loaded g = cached(id);
        if (g != null) return g;
        synchronized (lock(id)) {
            g = cached(id);
            if (g != null) return g;
            byte[] keys = store.evaluationKeys(id).orElse(null);
            if (keys == null) {
                if (required) throw new ApiException(409, "no_gallery_keys", "upload the gallery evaluation keys first (PUT .../gallery/keys)");
                return null;
            }
            g = read(id, new GalleryEvaluator(keys));
            publish(id, g);
            return g;
        }
    }

    private Loaded read(String id, GalleryEvaluator gs) {
        List<GalleryEvaluator.Block> blocks = new ArrayList<>();
        for (var b : store.galleryBlocks(id)) blocks.add(gs.readBlock(b.data()));
        List<GalleryFrames.Entry> entries = new ArrayList<>();
        for (var n : store.galleryNames(id)) entries.add(new GalleryFrames.Entry(new GalleryPosition(n.block(), n.slot()).index(), n.name()));
        return new Loaded(gs, List.copyOf(blocks), List.copyOf(entries));
    }
}
