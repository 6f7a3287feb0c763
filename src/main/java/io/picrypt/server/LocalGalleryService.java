package io.picrypt.server;

import io.picrypt.http.ApiException;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryPosition;
import io.picrypt.match.GalleryResult;
import io.picrypt.match.GalleryEvaluator;
import io.picrypt.store.GalleryStore;
import io.picrypt.store.StoreException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>A single enrollment is stored as a pending row (its enrollment ciphertext, a few hundred KB,
 * {@link GalleryStore#putGalleryEnrollment}) instead of rewriting its block's ~15 MB; pending rows are folded into the
 * block's bytes (one transaction) in the background once the keyset has had no enrollment for {@link #FOLD_IDLE_MS} or
 * holds {@link #FOLD_AT} pending, before a block download, at close, and whenever the gallery is loaded (replayed:
 * {@link GalleryService#foldPending}). A crash between the two leaves the pending rows, which the next load replays.
 */
public final class LocalGalleryService implements GalleryService {
    private static final Logger log = LoggerFactory.getLogger(LocalGalleryService.class);
    /** A keyset's gallery in memory: the evaluator built from its keys, its blocks, and who is where. */
    record Loaded(GalleryEvaluator evaluator, List<GalleryEvaluator.Block> blocks, List<GalleryFrames.Entry> entries) {
        /** Estimated memory (expansion keys on the heap + blocks off it), the cache's weight (PiCryptServer's measured constants). */
        long memoryBytes() {
            return PiCryptServer.GALLERY_KEYS_HEAP_BYTES + blocks.size() * PiCryptServer.BLOCK_BYTES;
        }
    }

    /**
     * What a block import needs of a keyset whose blocks are not in memory (never loaded, or dropped from the cache):
     * the evaluator that validates blocks and the gallery's size. Kept (weighed as the expansion keys) until the
     * gallery itself is loaded or dropped, so an import of any size holds one block at a time, never the whole gallery.
     */
    record Tally(GalleryEvaluator evaluator, int blocks, int identities) {}

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
    /** Fold after this long without an enrollment into the keyset (ms). */
    static final long FOLD_IDLE_MS = 10_000;
    /** Fold at once when the keyset holds this many pending enrollments (bounds the replay at the next load: ~0.5 s of CPU each). */
    static final int FOLD_AT = 32;
    /** Pending enrollments of loaded keysets: keyset -> block -> slots; changed under the keyset's lock. */
    private final ConcurrentHashMap<String, java.util.TreeMap<Integer, java.util.TreeSet<Integer>>> pending = new ConcurrentHashMap<>();
    /** Keysets with a fold scheduled, and when each last had an enrollment (System.nanoTime). */
    private final ConcurrentHashMap<String, Long> lastEnrollment = new ConcurrentHashMap<>();
    private final java.util.Set<String> foldScheduled = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ScheduledExecutorService folder = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gallery-fold");
        t.setDaemon(true);
        return t;
    });

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
        loaded.invalidate("t:" + id); // the loaded gallery supersedes the tally
    }

    private void drop(String id) {
        current.remove(id);
        loaded.invalidate("b:" + id);
        loaded.invalidate("t:" + id);
        pending.remove(id); // the next load folds what the store holds
        nameIndex.remove(id);
    }

    private Object lock(String id) {
        return locks.computeIfAbsent(id, k -> new Object());
    }

    /**
     * Keysets whose stored blocks were all found in the current layout, so routes that do not read the blocks (info, an
     * import into a gallery not in memory) skip the header query; forgotten when the gallery is dropped or reloaded.
     * The verdict cannot go stale: this version writes only current blocks, and refuses to write into an outdated gallery.
     */
    private final java.util.Set<String> current = ConcurrentHashMap.newKeySet();

    @Override
    public boolean outdated(String id) {
        if (cached(id) != null || current.contains(id)) return false; // a loaded gallery parsed every block
        if (GalleryService.outdatedInStore(store, id)) return true;
        current.add(id);
        return false;
    }

    @Override
    public void dropGallery(String id) {
        synchronized (lock(id)) {
            store.dropGallery(id);
            drop(id); // the next use loads the empty gallery (the keys stay)
            lastEnrollment.remove(id);
        }
        log.info("keyset {}: gallery dropped", id);
    }

    @Override
    public Info info(String id, boolean names) {
        if (cached(id) == null) { // from the store, without loading the gallery (clients ask before every enrollment)
            if (!store.hasEvaluationKeys(id)) return new Info(false, 0, 0, store.galleryBytes(id), List.of());
            if (outdated(id)) return GalleryService.outdatedInfo(store, id, names);
            if (!names) { // the counts alone
                GalleryStore.GallerySize size = store.gallerySize(id);
                return new Info(true, size.identities(), size.blocks(), store.galleryBytes(id), List.of());
            }
        }
        Loaded g = load(id, false);
        List<String> list = g == null || !names ? List.of() : g.entries().stream().map(GalleryFrames.Entry::name).toList();
        return new Info(g != null, g == null ? 0 : g.entries().size(), g == null ? 0 : g.blocks().size(), store.galleryBytes(id), list);
    }

    @Override
    public void setKeys(String id, byte[] keys) {
        GalleryEvaluator gs = new GalleryEvaluator(keys); // validates: exactly the expansion keys, our parameters
        synchronized (lock(id)) {
            load(id, false); // folds pending enrollments with the keys they were enrolled under
            foldNow(id);
            store.setEvaluationKeys(id, keys);
            drop(id);
            publish(id, read(id, gs));
        }
    }

    /**
     * Validates the block (every column against the parameters), then appends it and its names in one store
     * transaction, which refuses names the gallery already holds. A gallery in memory gets the block too; one that is
     * not stays out (the next identify loads it from the store): an import never loads the gallery's blocks.
     */
    @Override
    public Imported importBlock(String id, GalleryFrames.Import imp) {
        synchronized (lock(id)) {
            Loaded g = cached(id);
            if (g == null) requireCurrentLayout(id); // an import into a gallery not in memory reads none of its blocks
            Tally t = g == null ? tally(id) : null;
            Set<String> seen = new HashSet<>();
            for (String n : imp.names()) {
                if (!validName.test(n)) throw ApiException.badRequest("bad name in the import: '" + n + "'");
                if (!seen.add(n)) throw new ApiException(409, "duplicate_name", "'" + n + "' is twice in the import");
            }
            admission.admit(id, g != null ? g.blocks().size() : t.blocks(), imp.block().length);
            GalleryEvaluator.Block block = (g != null ? g.evaluator() : t.evaluator()).importBlock(imp.block());
            if (block.liveCount() != imp.names().size()) {
                throw ApiException.badRequest("the block holds " + block.liveCount() + " identities but " + imp.names().size() + " names were given");
            }
            int no;
            try {
                no = store.addGalleryBlock(id, block.toBytes(), imp.names());
            } catch (StoreException e) {
                if (e.kind() == StoreException.Kind.CONFLICT) throw new ApiException(409, "duplicate_name", e.getMessage());
                throw e;
            }
            int expected = g != null ? g.blocks().size() : t.blocks();
            if (no != expected) {
                drop(id);
                throw new IllegalStateException("gallery block numbering out of step; reloaded");
            }
            if (g == null) {
                Tally after = new Tally(t.evaluator(), no + 1, t.identities() + imp.names().size());
                loaded.put("t:" + id, after);
                return new Imported(no, after.identities());
            }
            List<GalleryEvaluator.Block> blocks = new ArrayList<>(g.blocks());
            blocks.add(block);
            List<GalleryFrames.Entry> entries = new ArrayList<>(g.entries());
            for (int i = 0; i < imp.names().size(); i++) entries.add(new GalleryFrames.Entry(new GalleryPosition(no, i).index(), imp.names().get(i)));
            publish(id, new Loaded(g.evaluator(), List.copyOf(blocks), List.copyOf(entries)));
            return new Imported(no, entries.size());
        }
    }

    /** The keyset's tally (under its lock, its gallery not in memory): from the store's keys and counts on first use. */
    private Tally tally(String id) {
        Tally t = (Tally) loaded.getIfPresent("t:" + id);
        if (t != null) return t;
        byte[] keys = store.evaluationKeys(id).orElseThrow(() ->
                new ApiException(409, "no_gallery_keys", "upload the gallery evaluation keys first (PUT .../gallery/keys)"));
        GalleryStore.GallerySize size = store.gallerySize(id);
        t = new Tally(new GalleryEvaluator(keys), size.blocks(), size.identities());
        loaded.put("t:" + id, t);
        return t;
    }

    @Override
    public Enrolled enroll(String id, String name, byte[] enrollment) {
        long start = System.nanoTime(), cpu0 = ClusterGalleryService.processCpuNanos();
        synchronized (lock(id)) {
            Loaded g = load(id, true);
            NameIndex index = nameIndex.get(id);
            if (index == null || index.basis() != g) index = new NameIndex(g, names(g)); // the gallery changed otherwise: O(N) once
            if (index.names().contains(name)) {
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
            GalleryEvaluator.EnrollTimings t = g.evaluator().enroll(block, at.slot(), enrollment); // validates; publishes a new snapshot of the block
            // a block this enrollment opens is stored empty (once per BLOCK_CAPACITY enrollments), the enrollment as pending
            byte[] newBlock = no == g.blocks().size() ? g.evaluator().newBlock().toBytes() : null;
            long t0 = System.nanoTime();
            try {
                store.putGalleryEnrollment(id, at.block(), newBlock, name, at.slot(), enrollment);
            } catch (RuntimeException ex) {
                drop(id); // memory is ahead of the store: reload from the store, which is unchanged
                throw ex;
            }
            long storeNanos = System.nanoTime() - t0;
            pending.computeIfAbsent(id, k -> new java.util.TreeMap<>()).computeIfAbsent(at.block(), k -> new java.util.TreeSet<>()).add(at.slot());
            List<GalleryFrames.Entry> entries = appended(g.entries(), new GalleryFrames.Entry(at.index(), name));
            Loaded next = new Loaded(g.evaluator(), List.copyOf(blocks), entries);
            publish(id, next);
            index.names().add(name);
            nameIndex.put(id, new NameIndex(next, index.names()));
            scheduleFold(id);
            if (log.isDebugEnabled()) {
                log.debug("keyset {}: gallery enrollment at block {} slot {}: {}, store {} ms; total {} ms, process CPU {} ms", id, at.block(),
                        at.slot(), t, String.format(java.util.Locale.ROOT, "%.1f", storeNanos / 1e6),
                        String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e6),
                        String.format(java.util.Locale.ROOT, "%.1f", (ClusterGalleryService.processCpuNanos() - cpu0) / 1e6));
            }
            return new Enrolled(name, at, entries.size());
        }
    }

    /**
     * The names of {@code basis}'s entries, for a writer's duplicate check without scanning them (mutated under the keyset's
     * lock as enrollments add names; valid only while {@code basis} is the published snapshot).
     */
    private record NameIndex(Loaded basis, java.util.Set<String> names) {}

    private final ConcurrentHashMap<String, NameIndex> nameIndex = new ConcurrentHashMap<>();

    private static java.util.Set<String> names(Loaded g) {
        java.util.Set<String> names = new HashSet<>(Math.max(16, g.entries().size() * 2));
        for (GalleryFrames.Entry e : g.entries()) names.add(e.name());
        return names;
    }

    /** {@code list} plus {@code e}, unmodifiable: O(CHUNK) when {@code list} came from here, else one O(N) copy into chunks. */
    static List<GalleryFrames.Entry> appended(List<GalleryFrames.Entry> list, GalleryFrames.Entry e) {
        return (list instanceof Chunked c ? c : Chunked.of(list)).plus(e);
    }

    /**
     * An immutable list in chunks of CHUNK elements, all full but the last: appending copies the last chunk and the
     * array of chunk references (N / CHUNK of them) and shares the rest, so a single enrollment into a gallery of N
     * identities does not copy N entries (measured 26 ms per copy at 1M under load; this is ~0.1 ms).
     */
    static final class Chunked extends java.util.AbstractList<GalleryFrames.Entry> implements java.util.RandomAccess {
        static final int CHUNK = 4096;
        private final GalleryFrames.Entry[][] chunks;
        private final int size;

        private Chunked(GalleryFrames.Entry[][] chunks, int size) {
            this.chunks = chunks;
            this.size = size;
        }

        static Chunked of(List<GalleryFrames.Entry> list) {
            int n = list.size();
            GalleryFrames.Entry[][] chunks = new GalleryFrames.Entry[(n + CHUNK - 1) / CHUNK][];
            for (int c = 0; c < chunks.length; c++) {
                chunks[c] = list.subList(c * CHUNK, Math.min(n, (c + 1) * CHUNK)).toArray(new GalleryFrames.Entry[0]);
            }
            return new Chunked(chunks, n);
        }

        Chunked plus(GalleryFrames.Entry e) {
            java.util.Objects.requireNonNull(e);
            int last = chunks.length - 1;
            if (last < 0 || chunks[last].length == CHUNK) {
                GalleryFrames.Entry[][] c = java.util.Arrays.copyOf(chunks, chunks.length + 1);
                c[chunks.length] = new GalleryFrames.Entry[]{e};
                return new Chunked(c, size + 1);
            }
            GalleryFrames.Entry[][] c = chunks.clone();
            c[last] = java.util.Arrays.copyOf(chunks[last], chunks[last].length + 1);
            c[last][chunks[last].length] = e;
            return new Chunked(c, size + 1);
        }

        @Override
        public GalleryFrames.Entry get(int i) {
            java.util.Objects.checkIndex(i, size);
            return chunks[i / CHUNK][i % CHUNK];
        }

        @Override
        public int size() { return size; }
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
                store.removeFromGallery(id, at.block(), block.toBytes(), name); // the whole block: its pending rows go
            } catch (RuntimeException ex) {
                drop(id); // the in-memory block was tombstoned: reload from the store, which is unchanged
                throw ex;
            }
            var p = pending.get(id);
            if (p != null) p.remove(at.block());
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

    @Override
    public void flush(String id) {
        synchronized (lock(id)) {
            load(id, false); // a gallery not in memory is folded as it loads
            foldNow(id);
        }
    }

    /** Pending enrollments of the loaded keyset (for tests and logs). */
    int pendingCount(String id) {
        synchronized (lock(id)) { // the background fold changes the sets under this lock (read without it: ConcurrentModificationException)
            var p = pending.get(id);
            return p == null ? 0 : p.values().stream().mapToInt(java.util.Set::size).sum();
        }
    }

    /**
     * Writes the keyset's in-memory blocks that have pending enrollments (each holds exactly its stored bytes plus them),
     * under the keyset's lock held by the caller (a flush, new keys, close). A background fold may have committed some of
     * the same rows meanwhile (its transaction then refused ours: CONFLICT, nothing changed): retried with the rows the
     * store still holds.
     */
    private void foldNow(String id) {
        var p = pending.get(id);
        Loaded g = cached(id);
        if (p == null || p.isEmpty() || g == null) return;
        long t0 = System.nanoTime();
        for (var it = p.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            int b = e.getKey();
            byte[] data = g.blocks().get(b).toBytes();
            List<Integer> slots = List.copyOf(e.getValue());
            for (int attempt = 0; !slots.isEmpty(); attempt++) {
                try {
                    store.foldGalleryBlock(id, b, data, slots);
                    break;
                } catch (io.picrypt.store.StoreException ex) {
                    if (ex.kind() != io.picrypt.store.StoreException.Kind.CONFLICT || attempt >= 3) throw ex;
                    slots = store.pendingEnrollments(id).stream().filter(x -> x.block() == b).map(GalleryStore.PendingEnrollment::slot).toList();
                }
            }
            it.remove();
        }
        log.debug("keyset {}: pending gallery enrollments folded in {} ms", id, (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * The background fold: takes a snapshot of the blocks with pending enrollments under the keyset's lock (free copies),
     * then serializes and writes them without it, so enrollments do not wait for a 15 MB rewrite. Safe against writers
     * meanwhile: an enrollment adds a pending row this fold does not drop (replayed on top of the folded bytes); a
     * deletion rewrites the block and drops its pending rows, after which this fold's transaction finds its rows gone and
     * is refused whole (CONFLICT), so older bytes never replace newer ones.
     */
    private void foldInBackground(String id) {
        foldInBackground(id, null);
    }

    /**
     * {@link #foldInBackground(String)} from {@code evicted}, the gallery's last snapshot, dropped from the cache for its
     * size, when the gallery is still out of memory (a reload meanwhile replays and folds the rows itself, and a newer
     * load is folded from the cache). Each pending slot must be live in the evicted block: a snapshot older than a
     * reload (slots are never reused, so it lacks the newer slots) is not folded.
     */
    private void foldInBackground(String id, Loaded evicted) {
        java.util.TreeMap<Integer, GalleryEvaluator.Block> snapshot = new java.util.TreeMap<>();
        java.util.Map<Integer, List<Integer>> slots = new java.util.HashMap<>();
        synchronized (lock(id)) {
            var p = pending.get(id);
            Loaded g = cached(id);
            if (g == null) g = evicted;
            if (p == null || p.isEmpty() || g == null) return;
            if (g == evicted && !holdsAll(g, p)) {
                log.debug("keyset {}: an older evicted snapshot is not folded", id);
                return;
            }
            for (var e : p.entrySet()) {
                snapshot.put(e.getKey(), g.blocks().get(e.getKey()).copy());
                slots.put(e.getKey(), List.copyOf(e.getValue()));
            }
        }
        long t0 = System.nanoTime();
        for (var e : snapshot.entrySet()) {
            int b = e.getKey();
            try {
                store.foldGalleryBlock(id, b, e.getValue().toBytes(), slots.get(b));
            } catch (io.picrypt.store.StoreException ex) {
                if (ex.kind() != io.picrypt.store.StoreException.Kind.CONFLICT) throw ex;
                log.debug("keyset {}: fold of block {} superseded by a newer write", id, b);
                continue;
            }
            synchronized (lock(id)) {
                var p = pending.get(id);
                var set = p == null ? null : p.get(b);
                if (set != null) {
                    set.removeAll(slots.get(b));
                    if (set.isEmpty()) p.remove(b);
                }
            }
        }
        log.debug("keyset {}: {} pending gallery enrollments folded in the background in {} ms", id,
                slots.values().stream().mapToInt(List::size).sum(), (System.nanoTime() - t0) / 1_000_000);
    }

    private static boolean holdsAll(Loaded g, java.util.Map<Integer, java.util.TreeSet<Integer>> pendingSlots) {
        for (var e : pendingSlots.entrySet()) {
            if (e.getKey() >= g.blocks().size()) return false;
            GalleryEvaluator.Block b = g.blocks().get(e.getKey());
            for (int s : e.getValue()) if (b.slot(s) != GalleryEvaluator.SlotState.LIVE) return false;
        }
        return true;
    }

    /**
     * The cache evicted {@code value} under {@code key} for its size (the eviction listener: only schedules work). A
     * loaded gallery with pending enrollments is folded from the evicted blocks in the background, so the next load reads
     * the folded blocks instead of replaying each pending enrollment (its expansion, ~0.5 s of CPU, and the block's
     * serialization and store write: what a cache too small for the gallery paid at every reload).
     */
    void evicted(String key, Object value) {
        if (!(value instanceof Loaded g) || !key.startsWith("b:")) return;
        String id = key.substring(2);
        if (!pending.containsKey(id)) return;
        try {
            folder.execute(() -> {
                try {
                    foldInBackground(id, g);
                } catch (RuntimeException e) { // the rows stay pending: replayed at the next load
                    log.warn("keyset {}: folding an evicted gallery's pending enrollments failed: {}", id, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("keyset {}: evicted after close, pending enrollments replayed at the next load", id);
        }
    }

    /** Folds in the background once the keyset is idle for FOLD_IDLE_MS, or at once at FOLD_AT pending enrollments. */
    private void scheduleFold(String id) {
        lastEnrollment.put(id, System.nanoTime());
        try {
            if (pendingCount(id) >= FOLD_AT) {
                folder.execute(() -> fold(id));
            } else if (foldScheduled.add(id)) {
                folder.schedule(() -> idleFold(id), FOLD_IDLE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } catch (java.util.concurrent.RejectedExecutionException e) { // closing: the rows stay pending, replayed at the next load
            foldScheduled.remove(id);
            log.debug("keyset {}: no background fold after close", id);
        }
    }

    private void idleFold(String id) {
        try {
            long idle;
            int count;
            synchronized (lock(id)) { // the pending sets change under it
                idle = (System.nanoTime() - lastEnrollment.getOrDefault(id, 0L)) / 1_000_000;
                count = pendingCount(id);
            }
            if (idle < FOLD_IDLE_MS && count < FOLD_AT) {
                folder.schedule(() -> idleFold(id), FOLD_IDLE_MS - idle, java.util.concurrent.TimeUnit.MILLISECONDS);
                return;
            }
            foldScheduled.remove(id);
            fold(id);
        } catch (RuntimeException e) { // closing (rejected), or anything else: the next enrollment schedules again
            foldScheduled.remove(id);
            log.debug("keyset {}: background fold not run: {}", id, e.toString());
        }
    }

    private void fold(String id) {
        try {
            foldInBackground(id);
        } catch (RuntimeException e) { // the pending rows stay (the gallery is whole with them); the next enrollment retries
            log.warn("keyset {}: folding pending gallery enrollments failed: {}", id, e.toString());
        }
    }

    /** Stops background folding without folding what is pending: what a crash does (tests). */
    void stopFoldingForTests() {
        folder.shutdownNow();
    }

    /** Folds every loaded keyset's pending enrollments (best effort: what is left is replayed at the next load). */
    @Override
    public void close() {
        folder.shutdownNow();
        for (String id : List.copyOf(pending.keySet())) {
            try {
                synchronized (lock(id)) {
                    foldNow(id);
                }
            } catch (RuntimeException e) {
                log.warn("keyset {}: folding pending gallery enrollments at close failed (replayed at the next load): {}", id, e.toString());
            }
        }
    }

    /**
     * The keyset's gallery (loaded from the store on first use); null or 409 when no keys were uploaded. A gallery of an
     * earlier layout is refused as it is read ({@link GalleryEvaluator#readBlock}: {@link io.picrypt.match.OutdatedGalleryException}),
     * its pending enrollments never replayed.
     */
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
            Tally t = (Tally) loaded.getIfPresent("t:" + id); // an import's evaluator, built from the same keys
            g = read(id, t != null ? t.evaluator() : new GalleryEvaluator(keys));
            publish(id, g);
            return g;
        }
    }

    /** The gallery as stored, one block's bytes at a time (not all of them, then all parsed), pending enrollments folded first (replayed with {@code gs}). Under the keyset's lock. */
    private Loaded read(String id, GalleryEvaluator gs) {
        gs.warmUpOnce();
        GalleryService.foldPending(store, id, gs);
        pending.remove(id);
        List<GalleryEvaluator.Block> blocks = new ArrayList<>();
        int count = store.gallerySize(id).blocks();
        for (int b = 0; b < count; b++) {
            byte[] data = store.galleryBlock(id, b).orElseThrow(() ->
                    new ApiException(503, "busy", "the gallery changed while it was being loaded; retry").retryAfterSeconds(1));
            blocks.add(gs.readBlock(data));
        }
        gs.prepare(blocks); // the product kernel's per-block terms now, not in the identify that follows
        List<GalleryFrames.Entry> entries = new ArrayList<>();
        for (var n : store.galleryNames(id)) entries.add(new GalleryFrames.Entry(new GalleryPosition(n.block(), n.slot()).index(), n.name()));
        return new Loaded(gs, List.copyOf(blocks), List.copyOf(entries));
    }
}
