package io.picrypt.server;

import io.picrypt.http.ApiException;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryPosition;

import java.util.List;

/**
 * A keyset's column-packed 1:N gallery, as the HTTP layer sees it: evaluation keys, bulk import of blocks, single
 * enrollment, deletion and identification. {@link LocalGalleryService} keeps every block in this process; a
 * clustered implementation may spread blocks over several processes, which is why an identify answer says which
 * blocks it covers ({@link GalleryFrames.Answer}). Callers have already checked the keyset's token and the names'
 * syntax. Every write is durable in the store before the method returns.
 *
 * <p>Errors: {@link ApiException} 409 {@code no_gallery_keys} (no keys uploaded), 409 {@code duplicate_name},
 * 400 {@code bad_request}; {@link io.picrypt.match.OutdatedGalleryException} (HTTP 409 {@code gallery_outdated}) from every
 * method but {@link #info} and {@link #dropGallery} when the keyset's gallery is stored in an earlier version's layout
 * ({@link #outdated}): nothing of it is ever computed on; {@link io.picrypt.ckks.CkksException} for a malformed ciphertext (the HTTP layer's 400);
 * {@link io.picrypt.store.StoreException} when the store fails (nothing changed).
 */
public interface GalleryService extends AutoCloseable {

    /**
     * Size of a keyset's gallery; {@code names} (position order) only when asked for, else empty. {@code outdated}: the
     * gallery is stored in an earlier version's layout (counts and names from the store; nothing else answers but a drop).
     */
    record Info(boolean keys, int identities, int blocks, long storedBytes, List<String> names, boolean outdated) {
        Info(boolean keys, int identities, int blocks, long storedBytes, List<String> names) {
            this(keys, identities, blocks, storedBytes, names, false);
        }
    }

    /** A block imported as number {@code block}; the gallery now holds {@code identities}. */
    record Imported(int block, int identities) {}

    /** An identity enrolled at {@code at}; the gallery now holds {@code identities}. */
    record Enrolled(String name, GalleryPosition at, int identities) {}

    Info info(String keysetId, boolean names);

    /** Stores (replacing) the keyset's gallery evaluation keys, validated first ({@code GalleryEvaluator}'s rules). */
    void setKeys(String keysetId, byte[] keys);

    /** Appends one imported block (names in slot order); names must be new to the gallery and distinct. */
    Imported importBlock(String keysetId, GalleryFrames.Import block);

    /** Expands one enrollment ciphertext into the next free slot under {@code name} (new to the gallery). */
    Enrolled enroll(String keysetId, String name, byte[] enrollment);

    /**
     * As {@link #enroll}, replacing {@code name}'s entry if the gallery holds one: the old slot is tombstoned and the
     * new ciphertext enrolled under the keyset's write lock, so two concurrent replacements of one name both succeed
     * (the last wins) instead of one failing on a duplicate. A malformed ciphertext is refused before the old entry goes.
     */
    Enrolled replace(String keysetId, String name, byte[] enrollment);

    /** Tombstones {@code name}'s slot; false if the gallery does not hold it (or has no keys). */
    boolean delete(String keysetId, String name);

    /** One answer covering every block of the keyset (PCGF v2 framing, see {@link GalleryFrames}). */
    GalleryFrames.Answer identify(String keysetId, byte[] probe);

    /** What {@link #compact} did: blocks before and after, identities kept. */
    record Compacted(int blocksBefore, int blocksAfter, int identities) {}

    /**
     * Replaces the whole gallery by {@code imports} (the key owner's fresh blocks of exactly the live identities), in one
     * store transaction. Refused with 409 {@code gallery_changed} when the gallery no longer has {@code expectedBlocks}
     * blocks (it changed since the owner downloaded it), 400 when the names are not exactly the live names, each once.
     */
    Compacted compact(String keysetId, int expectedBlocks, List<GalleryFrames.Import> imports);

    /** Block {@code block} as stored, with the names of its live slots (for the key owner's compaction); 404 if absent. */
    static io.picrypt.match.GalleryCompaction.Download download(io.picrypt.store.GalleryStore store, String keysetId, int block) {
        byte[] data = store.galleryBlock(keysetId, block).orElseThrow(() -> ApiException.notFound("no gallery block " + block));
        io.picrypt.match.GalleryEvaluator.checkStoredLayout(data); // never hand out a block of another layout as this one
        List<io.picrypt.match.GalleryCompaction.Entry> entries = new java.util.ArrayList<>();
        for (var n : store.galleryNames(keysetId)) if (n.block() == block) entries.add(new io.picrypt.match.GalleryCompaction.Entry(n.slot(), n.name()));
        entries.sort(java.util.Comparator.comparingInt(io.picrypt.match.GalleryCompaction.Entry::slot));
        return new io.picrypt.match.GalleryCompaction.Download(entries, data);
    }

    /**
     * Checks a compaction against the live names: every import parses ({@code parse} returns its live count), the names
     * are exactly {@code live}, each once. Returns the imports' names in block order.
     */
    static List<List<String>> checkCompaction(java.util.Collection<String> live, List<GalleryFrames.Import> imports,
                                              java.util.function.ToIntFunction<GalleryFrames.Import> parse) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<List<String>> names = new java.util.ArrayList<>();
        for (GalleryFrames.Import imp : imports) {
            if (imp.names().isEmpty()) throw ApiException.badRequest("a compacted block holds no identity");
            for (String n : imp.names()) {
                if (!seen.add(n)) throw ApiException.badRequest("'" + n + "' appears twice in the compaction");
            }
            int count = parse.applyAsInt(imp);
            if (count != imp.names().size()) {
                throw ApiException.badRequest("a compacted block holds " + count + " identities but " + imp.names().size() + " names were given");
            }
            names.add(imp.names());
        }
        if (seen.size() != live.size() || !seen.containsAll(live)) {
            throw ApiException.badRequest("the compaction must hold exactly the gallery's " + live.size() + " live identities, it holds "
                    + seen.size() + (seen.containsAll(live) ? "" : " and misses some"));
        }
        return names;
    }

    /**
     * Whether the keyset's stored gallery holds a block in the layout of an earlier picrypt version ("PCGS" v1: 512
     * dimensions). Its pending single enrollments are then of that layout too (a block is stored when the first
     * enrollment into it is, in the same transaction), so the whole gallery is outdated.
     */
    boolean outdated(String keysetId);

    /** @throws io.picrypt.match.OutdatedGalleryException when {@link #outdated} */
    default void requireCurrentLayout(String keysetId) {
        if (outdated(keysetId)) throw new io.picrypt.match.OutdatedGalleryException();
    }

    /**
     * Drops the keyset's whole gallery (blocks, names, pending enrollments) in one store transaction, whatever its layout;
     * the evaluation keys stay. What the key owner does before rebuilding an outdated gallery.
     */
    void dropGallery(String keysetId);

    /** {@link #outdated} from the stored blocks' headers (not the blocks: a few bytes each where the store can). */
    static boolean outdatedInStore(io.picrypt.store.GalleryStore store, String keysetId) {
        for (byte[] h : store.galleryBlockHeaders(keysetId, io.picrypt.match.GalleryEvaluator.STORE_HEADER_BYTES)) {
            if (io.picrypt.match.GalleryEvaluator.isOutdated(h)) return true;
        }
        return false;
    }

    /** Info of an outdated gallery: its counts and names from the store (no block is read). */
    static Info outdatedInfo(io.picrypt.store.GalleryStore store, String keysetId, boolean names) {
        List<io.picrypt.store.GalleryStore.GalleryName> all = store.galleryNames(keysetId);
        return new Info(true, all.size(), store.gallerySize(keysetId).blocks(), store.galleryBytes(keysetId),
                names ? all.stream().map(io.picrypt.store.GalleryStore.GalleryName::name).toList() : List.of(), true);
    }

    /** Drops whatever is cached for a keyset (its data was deleted from the store). */
    void forget(String keysetId);

    /**
     * Folds the keyset's pending single enrollments into its stored blocks now, so the store's block bytes are the
     * whole gallery (before a block download for a compaction). Nothing to do for a service that writes whole blocks.
     */
    default void flush(String keysetId) {}

    /**
     * Replays the keyset's pending single enrollments ({@link io.picrypt.store.GalleryStore#pendingEnrollments}) into
     * their stored blocks with {@code gs} and writes each block back, dropping its pending rows in the same transaction:
     * afterwards the stored blocks are the whole gallery. Replaying is deterministic ({@link GalleryEvaluator#enroll}),
     * so the blocks equal the ones the server held in memory. Returns the number of enrollments folded.
     *
     * @throws io.picrypt.store.CorruptedDataException a pending row or its block fails its digest (nothing is written)
     * @throws IllegalStateException                   a pending enrollment's slot is not free in its stored block
     * @throws io.picrypt.match.OutdatedGalleryException a pending enrollment's block is of an earlier layout (nothing is replayed)
     */
    static int foldPending(io.picrypt.store.GalleryStore store, String keysetId, io.picrypt.match.GalleryEvaluator gs) {
        for (int attempt = 0; ; attempt++) {
            try {
                return foldPendingOnce(store, keysetId, gs);
            } catch (io.picrypt.store.StoreException e) {
                // a background fold committed some of the same rows meanwhile (ours was refused whole): read them again
                if (e.kind() != io.picrypt.store.StoreException.Kind.CONFLICT || attempt >= 3) throw e;
            } catch (IllegalStateException e) {
                // ... or between our reads of the rows and of the block (a slot already live in it): read them again
                if (attempt >= 3) throw e;
            }
        }
    }

    private static int foldPendingOnce(io.picrypt.store.GalleryStore store, String keysetId, io.picrypt.match.GalleryEvaluator gs) {
        var pending = store.pendingEnrollments(keysetId);
        if (pending.isEmpty()) return 0;
        java.util.TreeMap<Integer, List<io.picrypt.store.GalleryStore.PendingEnrollment>> byBlock = new java.util.TreeMap<>();
        for (var p : pending) byBlock.computeIfAbsent(p.block(), b -> new java.util.ArrayList<>()).add(p);
        for (var e : byBlock.entrySet()) {
            int b = e.getKey();
            byte[] data = store.galleryBlock(keysetId, b)
                    .orElseThrow(() -> new IllegalStateException("pending gallery enrollments for block " + b + ", which is not stored"));
            io.picrypt.match.GalleryEvaluator.Block block = gs.readBlock(data);
            for (var p : e.getValue()) gs.enroll(block, p.slot(), p.enrollment());
            store.foldGalleryBlock(keysetId, b, block.toBytes(), e.getValue().stream().map(io.picrypt.store.GalleryStore.PendingEnrollment::slot).toList());
        }
        org.slf4j.LoggerFactory.getLogger(GalleryService.class).info("keyset {}: {} pending gallery enrollments folded into {} blocks",
                keysetId, pending.size(), byBlock.size());
        return pending.size();
    }

    @Override
    default void close() {}
}
