package io.picrypt.server;

import io.picrypt.http.ApiException;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.map.IMap;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryPosition;
import io.picrypt.match.GalleryEvaluator;
import io.picrypt.server.ClusterMaps.BlockKey;
import io.picrypt.server.ClusterMaps.BlockValue;
import io.picrypt.server.ClusterMaps.Meta;
import io.picrypt.server.ClusterTasks.Delete;
import io.picrypt.server.ClusterTasks.Enroll;
import io.picrypt.server.ClusterTasks.Forget;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.GalleryStore;
import io.picrypt.store.PostgresStore;
import io.picrypt.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The gallery of a cluster of {@code picrypt server} processes, each an embedded Hazelcast member (TCP/IP join,
 * multicast and auto-detection off, bound to one interface). Durable state stays in the shared PostgreSQL store;
 * the cluster holds each block in an {@link IMap} partitioned over the members with one backup, and reloads the
 * blocks from the store when the map has lost them (a full restart, or more members lost than backups).
 *
 * <p>Writes run under a cluster-wide per-keyset lock; a single enrollment or deletion runs on the member that owns
 * the block ({@code submitToKeyOwner}), which commits the store and then replaces the map entry before the request
 * is acknowledged. An identify sends the probe as uploaded to every member; each expands it once and computes the
 * products of the blocks it owns, returning a partial answer that names its blocks; the member that took the request
 * merges them ({@link GalleryFrames#merge}) and answers only if every block is covered (otherwise it retries while
 * partitions migrate, then answers 503). Block data never crosses the network during an identify.
 *
 * <p>This class is the {@link GalleryService}: the writes under the lock, the (re)loading of blocks from the store and
 * the member's caches (evaluators, parsed blocks). Beside it: {@link ClusterMaps} (the Hazelcast configuration, the map
 * keys and values, block placement), {@link ClusterTasks} (the tasks run on a block's owner or on every member),
 * {@link ClusterIdentify} (the scatter/gather identify) and {@link ClusterStats} (the per-member figures). Thread-safe.
 */
public final class ClusterGalleryService implements GalleryService {
    private static final Logger log = LoggerFactory.getLogger(ClusterGalleryService.class);
    /** The service of each member in this JVM, by Hazelcast instance name (tasks find their member's store here). */
    private static final ConcurrentHashMap<String, ClusterGalleryService> LOCAL = new ConcurrentHashMap<>();
    static final long TASK_TIMEOUT_S = 120;

    /**
     * How to join: cluster {@code name}, the well-known {@code members} (host:port), the {@code bindInterface} (an IP
     * address of this machine; the member binds to it only) and the member {@code port}.
     */
    public record Settings(String name, List<String> members, String bindInterface, int port) {
        public Settings {
            if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) throw new IllegalArgumentException("cluster names are 1-64 letters, digits, . _ -");
            if (members == null || members.isEmpty()) throw new IllegalArgumentException("--cluster-members needs at least one host:port");
            members = List.copyOf(members);
            if (bindInterface == null || bindInterface.isBlank()) throw new IllegalArgumentException("no cluster interface");
            if (port < 1 || port > 65535) throw new IllegalArgumentException("cluster port must be 1..65535");
        }
    }

    record Parsed(long version, GalleryEvaluator.Block block) {}

    // package-private: the tasks (ClusterTasks, ClusterIdentify.Identify, ClusterStats.Stats) run against their member's service
    final GalleryStore store;
    final HazelcastInstance hz;
    final IMap<BlockKey, BlockValue> blocks;
    final IMap<String, Meta> meta;
    final IExecutorService exec;
    final ConcurrentHashMap<String, GalleryEvaluator> evaluators = new ConcurrentHashMap<>();
    final ConcurrentHashMap<BlockKey, Parsed> parsed = new ConcurrentHashMap<>();
    /** The quota check before a block is added (as in {@link LocalGalleryService}); none until {@link #admitWith}. */
    private volatile LocalGalleryService.BlockAdmission admission = (k, b, n) -> {};
    /** The distributed identify, with what the last one of each keyset cost. */
    final ClusterIdentify identifies = new ClusterIdentify(this);
    /** The per-member figures ({@link #stats}). */
    final ClusterStats memberStats = new ClusterStats(this);

    /** Starts this process's member and joins the cluster; the store must be PostgreSQL (shared by all members). */
    public ClusterGalleryService(EnrollmentStore store, Settings settings) {
        if (!(store instanceof PostgresStore)) {
            throw new IllegalArgumentException("a cluster keeps its durable state in PostgreSQL, shared by every member:"
                    + " start the server with --store jdbc:postgresql://... (SQLite is one process's file)");
        }
        this.store = store;
        this.hz = Hazelcast.newHazelcastInstance(ClusterMaps.config(settings));
        LOCAL.put(hz.getName(), this);
        this.blocks = hz.getMap(ClusterMaps.BLOCKS);
        this.meta = hz.getMap(ClusterMaps.META);
        this.exec = hz.getExecutorService(ClusterMaps.EXEC);
        log.info("cluster member {} of '{}' on {}:{}, {} member(s)", hz.getName(), settings.name(), settings.bindInterface(),
                settings.port(), hz.getCluster().getMembers().size());
    }

    /**
     * Sets the check run (under the keyset's cluster-wide lock, before anything is stored) whenever a block is about to
     * be added: an import, or an enrollment that opens a new block. It throws to refuse (the server's keyset quota: 507).
     */
    public void admitWith(LocalGalleryService.BlockAdmission admission) {
        this.admission = java.util.Objects.requireNonNull(admission);
    }

    /** Members currently in the cluster (for health and tests). */
    public int members() {
        return hz.getCluster().getMembers().size();
    }

    @Override
    public void close() {
        LOCAL.remove(hz.getName());
        hz.shutdown();
    }

    // ------------------------------------------------------------------ the GalleryService, on the member that took the request

    @Override
    public Info info(String id, boolean names) {
        GalleryEvaluator gs = evaluator(id, false);
        if (gs == null) return new Info(false, 0, 0, store.galleryBytes(id), List.of());
        if (outdated(id)) return GalleryService.outdatedInfo(store, id, names);
        List<GalleryStore.GalleryName> all = store.galleryNames(id);
        return new Info(true, all.size(), loaded(id), store.galleryBytes(id),
                names ? all.stream().map(GalleryStore.GalleryName::name).toList() : List.of());
    }

    @Override
    public void setKeys(String id, byte[] keys) {
        new GalleryEvaluator(keys); // validates before anything is stored
        locked(id, () -> {
            requireCurrentLayout(id); // as a single server, which folds pending enrollments first: none of another layout
            store.setEvaluationKeys(id, keys);
            everywhere(new Forget(id, false));
            return null;
        });
    }

    @Override
    public Imported importBlock(String id, GalleryFrames.Import imp) {
        GalleryEvaluator gs = evaluator(id, true);
        return locked(id, () -> {
            int count = loaded(id);
            Set<String> seen = new HashSet<>();
            for (var n : store.galleryNames(id)) seen.add(n.name());
            int before = seen.size();
            for (String n : imp.names()) {
                if (!PiCryptServer.validName(n)) throw ApiException.badRequest("bad name in the import: '" + n + "'");
                if (!seen.add(n)) throw new ApiException(409, "duplicate_name", "'" + n + "' is already in the gallery or twice in the import");
            }
            admission.admit(id, count, imp.block().length);
            GalleryEvaluator.Block block = gs.importBlock(imp.block());
            if (block.liveCount() != imp.names().size()) {
                throw ApiException.badRequest("the block holds " + block.liveCount() + " identities but " + imp.names().size() + " names were given");
            }
            byte[] data = block.toBytes();
            int no = store.addGalleryBlock(id, data, imp.names());
            if (no != count) {
                dropForReload(id); // the map is out of step with the store: reload on next use
                throw new IllegalStateException("gallery block numbering out of step; reloaded");
            }
            Meta m = meta.get(id);
            int pk = ClusterMaps.place(hz, m.partitionKeys());
            blocks.set(new BlockKey(id, no, pk), new BlockValue(ThreadLocalRandom.current().nextLong(), data));
            meta.set(id, m.plus(pk));
            return new Imported(no, before + imp.names().size());
        });
    }

    @Override
    public Enrolled enroll(String id, String name, byte[] enrollment) {
        evaluator(id, true);
        return locked(id, () -> {
            int count = loaded(id);
            List<GalleryStore.GalleryName> names = store.galleryNames(id);
            if (names.stream().anyMatch(n -> n.name().equals(name))) {
                throw new ApiException(409, "duplicate_name", "'" + name + "' is already in the gallery (delete it first)");
            }
            int target = Math.max(0, count - 1);
            while (true) {
                if (target == count) admission.admit(id, count, PiCryptServer.BLOCK_BYTES); // opens a new block
                Meta m = meta.get(id);
                BlockKey key = target < count ? m.key(id, target) : new BlockKey(id, target, ClusterMaps.place(hz, m.partitionKeys()));
                int slot = onOwner(key, new Enroll(key, target == count, name, enrollment));
                if (slot >= 0) {
                    if (target == count) meta.set(id, m.plus(key.partitionKey()));
                    return new Enrolled(name, new GalleryPosition(target, slot), names.size() + 1);
                }
                target = count; // the last block is full: open the next one
            }
        });
    }

    @Override
    public Enrolled replace(String id, String name, byte[] enrollment) {
        io.picrypt.ckks.Serializer.readCiphertext(enrollment, GalleryParameters.get()); // malformed: refused before the old entry goes
        evaluator(id, true);
        return locked(id, () -> { // IMap locks are reentrant for the holding thread: delete and enroll take it again
            delete(id, name);
            return enroll(id, name, enrollment);
        });
    }

    @Override
    public boolean delete(String id, String name) {
        if (evaluator(id, false) == null) return false;
        return locked(id, () -> {
            loaded(id);
            var at = store.galleryNames(id).stream().filter(n -> n.name().equals(name)).findFirst().orElse(null);
            if (at == null) return false;
            BlockKey key = meta.get(id).key(id, at.block());
            onOwner(key, new Delete(key, at.slot(), name));
            return true;
        });
    }

    @Override
    public GalleryFrames.Answer identify(String id, byte[] probe) {
        return identifies.identify(id, probe);
    }

    @Override
    public Compacted compact(String id, int expectedBlocks, List<GalleryFrames.Import> imports) {
        GalleryEvaluator gs = evaluator(id, true);
        return locked(id, () -> {
            int count = loaded(id);
            if (count != expectedBlocks) {
                throw new ApiException(409, "gallery_changed", "the gallery has " + count + " blocks, not the " + expectedBlocks
                        + " this compaction was computed from; nothing was changed: run it again");
            }
            if (imports.size() > expectedBlocks) throw ApiException.badRequest("a compaction may not add blocks");
            List<String> live = store.galleryNames(id).stream().map(GalleryStore.GalleryName::name).toList();
            List<byte[]> data = new ArrayList<>();
            List<List<String>> names = GalleryService.checkCompaction(live, imports, imp -> {
                GalleryEvaluator.Block b = gs.importBlock(imp.block());
                data.add(b.toBytes());
                return b.liveCount();
            });
            try {
                store.replaceGallery(id, data, names);
            } finally {
                dropForReload(id, true); // the store is the truth: the next use reloads every block from it
            }
            return new Compacted(count, data.size(), live.size());
        });
    }

    /**
     * For operators and {@code picrypt bench cluster}: what each member holds of the keyset's gallery (blocks owned,
     * owned and backup entry bytes, heap used and maximum) and what the last identify this member took cost on each
     * member. With {@code gc}, each member runs a garbage collection first (at most once per 10 s per member), so that
     * heap used is the live set. Sizes in bytes, times in ms.
     */
    public com.fasterxml.jackson.databind.node.ObjectNode stats(String id, boolean gc) {
        return memberStats.stats(id, gc);
    }

    /**
     * True when no block is loaded into the cluster (a keyset whose meta is in the map passed this check when its blocks
     * were loaded) and the store holds a block of an earlier layout: a few bytes per block (PostgreSQL reads a prefix
     * of a stored value without the rest).
     */
    @Override
    public boolean outdated(String id) {
        return meta.get(id) == null && GalleryService.outdatedInStore(store, id);
    }

    /** Under the keyset's cluster-wide lock: the store's transaction, then every member drops its copies (as a compaction). */
    @Override
    public void dropGallery(String id) {
        locked(id, () -> {
            try {
                store.dropGallery(id);
            } finally {
                dropForReload(id, true); // the store is the truth: the next use loads the empty gallery
            }
            return null;
        });
        log.info("keyset {}: gallery dropped", id);
    }

    @Override
    public void forget(String id) {
        Meta m = meta.get(id);
        if (m != null) for (int b = 0; b < m.blocks(); b++) blocks.delete(m.key(id, b));
        meta.delete(id);
        everywhere(new Forget(id, true));
    }

    // ------------------------------------------------------------------ helpers

    /** The keyset's block count, loading every block from the store into the map when the cluster has none of it. */
    int loaded(String id) {
        Meta m = meta.get(id);
        if (m != null) return m.blocks();
        return locked(id, () -> {
            Meta again = meta.get(id);
            if (again != null) return again.blocks();
            // a gallery of an earlier layout never reaches the map (nor are its pending enrollments replayed): every
            // route that uses the blocks comes through here first, and the members' readBlock refuses such bytes too
            requireCurrentLayout(id);
            foldPending(id);
            // entries of this keyset still in the map (under keys no meta names any more) are stale: drop them first
            for (BlockKey k : blocks.keySet()) {
                if (k.keyset().equals(id)) blocks.delete(k);
            }
            List<GalleryStore.GalleryBlock> all = store.galleryBlocks(id);
            int[] keys = new int[0];
            for (var b : all) {
                int pk = ClusterMaps.place(hz, keys);
                keys = java.util.Arrays.copyOf(keys, keys.length + 1);
                keys[keys.length - 1] = pk;
                blocks.set(new BlockKey(id, b.block(), pk), new BlockValue(ThreadLocalRandom.current().nextLong(), b.data()));
            }
            meta.set(id, new Meta(all.size(), keys));
            if (!all.isEmpty()) log.info("keyset {}: {} gallery blocks loaded from the store into the cluster", id, all.size());
            return all.size();
        });
    }

    /**
     * Puts back from the store each block below {@code count} whose map entry is gone (entries present stay): an
     * identify's remedy when more members were lost than backups.
     */
    void reloadMissing(String id, int count) {
        foldPending(id);
        for (var b : store.galleryBlocks(id)) {
            Meta m = meta.get(id);
            if (m != null && b.block() < Math.min(count, m.blocks())) {
                blocks.putIfAbsent(m.key(id, b.block()), new BlockValue(ThreadLocalRandom.current().nextLong(), b.data()));
            }
        }
    }

    /**
     * Folds single enrollments a non-cluster server left pending in the shared store (cluster members write whole
     * blocks), so the blocks read from the store are whole.
     */
    private void foldPending(String id) {
        if (store.pendingEnrollments(id).isEmpty()) return;
        GalleryService.foldPending(store, id, evaluator(id, true));
    }

    private <T> T locked(String id, Callable<T> body) {
        try {
            if (!meta.tryLock(id, 120, TimeUnit.SECONDS)) throw new ApiException(503, "busy", "the keyset's gallery is busy; try again shortly");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "busy", "interrupted");
        }
        try {
            return body.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            meta.unlock(id);
        }
    }

    /**
     * Runs a write on the block's owner (the caller holds the keyset's lock). If the owner fails, it may have committed
     * the store without updating the map: the keyset's map entries are then dropped, so the next use reloads them from
     * the store, which is the truth; the request is answered 503 (not acknowledged).
     */
    private <T> T onOwner(BlockKey key, Callable<T> task) {
        try {
            return exec.submitToKeyOwner(task, key).get(TASK_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se) {
                // the owner's copy of the block may be behind the store (taken over from a backup that missed a write the
                // failed owner committed): drop the keyset's entries so the next use reloads them from the store
                dropForReload(key.keyset());
                if (se.kind() == StoreException.Kind.CONFLICT) {
                    throw new ApiException(503, "cluster_unavailable", "a member failed during this write and the cluster's copy of"
                            + " the gallery was behind the store (" + se.getMessage() + "); reloaded from the store. Not acknowledged:"
                            + " the failed member may have stored it, check the gallery's names before retrying").retryAfterSeconds(1);
                }
                throw se;
            }
            if (e.getCause() instanceof RuntimeException r && !(r instanceof com.hazelcast.core.HazelcastException)) throw r;
            dropForReload(key.keyset());
            throw new ApiException(503, "cluster_unavailable", "the member holding the block failed; not acknowledged, retry");
        } catch (TimeoutException | com.hazelcast.core.HazelcastException e) {
            dropForReload(key.keyset());
            throw new ApiException(503, "cluster_unavailable", "the member holding the block did not answer; not acknowledged, retry");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "cluster_unavailable", "interrupted");
        }
    }

    /**
     * The map may be behind the store (a write's owner failed): drops the keyset's block entries under their current
     * keys, then its meta, so the next use reloads every block from the store under fresh partition keys
     * ({@link #loaded}). Dropping the meta alone left the old entries beside the reloaded ones, and every identify then
     * counted those blocks twice (refused, HTTP 400, until a restart). The caller holds the keyset's lock.
     */
    void dropForReload(String id) { dropForReload(id, false); }

    /**
     * Test hook: a copy of block {@code block}'s entry under another partition key, as a write landing after
     * {@link #dropForReload} deleted its entry leaves one (what identify and the next reload must ignore and drop).
     */
    void plantStaleCopy(String id, int block) {
        Meta m = meta.get(id);
        BlockKey current = m.key(id, block);
        blocks.set(new BlockKey(id, block, current.partitionKey() + 1), blocks.get(current));
    }

    /** {@link #dropForReload(String)}, waiting for every member to drop its parsed copies when {@code awaitMembers}. */
    void dropForReload(String id, boolean awaitMembers) {
        Meta old = meta.get(id);
        if (old != null) {
            for (int b = 0; b < old.blocks(); b++) {
                try {
                    blocks.delete(old.key(id, b));
                } catch (RuntimeException e) {
                    log.warn("keyset {}: could not drop gallery block {} before a reload: {}", id, b, e.toString());
                }
            }
        }
        meta.delete(id);
        // the members' parsed copies are keyed by the dropped keys, which no identify will ask for again: free them
        // (16.8 MB per block). Not awaited: a member that failed has no copies, and one that is slow must not hold up
        // this answer; a copy dropped after the reload re-parsed it is only parsed once more.
        try {
            if (awaitMembers) everywhere(new Forget(id, true));
            else exec.submitToAllMembers(new Forget(id, true));
        } catch (RuntimeException e) {
            log.warn("keyset {}: could not ask the members to drop their parsed blocks: {}", id, e.toString());
        }
    }

    /** The cluster services of the members running in this JVM (tests run several members in one JVM). */
    static java.util.Collection<ClusterGalleryService> inThisJvm() {
        return List.copyOf(LOCAL.values());
    }

    /** Parsed blocks this member holds for a keyset (tests: stale copies must not pile up). */
    int parsedBlocks(String keyset) {
        return (int) parsed.keySet().stream().filter(k -> k.keyset().equals(keyset)).count();
    }

    private void everywhere(Callable<Void> task) {
        for (Future<Void> f : exec.submitToAllMembers(task).values()) {
            try {
                f.get(TASK_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("cache invalidation on a member failed: {}", e.toString()); // a lost member has no cache
            }
        }
    }

    GalleryEvaluator evaluator(String id, boolean required) {
        GalleryEvaluator gs = evaluators.get(id);
        if (gs != null) return gs;
        byte[] keys = store.evaluationKeys(id).orElse(null);
        if (keys == null) {
            if (required) throw new ApiException(409, "no_gallery_keys", "upload the gallery evaluation keys first (PUT .../gallery/keys)");
            return null;
        }
        return evaluators.computeIfAbsent(id, k -> new GalleryEvaluator(keys));
    }

    /** A private, mutable copy of the block as stored in the map (null if absent). */
    GalleryEvaluator.Block copy(GalleryEvaluator gs, BlockKey key) {
        BlockValue v = blocks.get(key);
        return v == null ? null : gs.readBlock(v.data());
    }

    /** The block as this member holds it (it owns the key), parsed once per version. */
    GalleryEvaluator.Block local(GalleryEvaluator gs, BlockKey key) {
        BlockValue v = blocks.get(key);
        if (v == null) return null;
        Parsed p = parsed.get(key);
        if (p != null && p.version() == v.version()) return p.block();
        GalleryEvaluator.Block b = gs.readBlock(v.data());
        parsed.put(key, new Parsed(v.version(), b));
        return b;
    }

    /** CPU time of this process so far (all threads: the products run on the common pool), or -1 if unavailable. */
    public static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /** The service of member {@code hz} (a task's own member), which must be running in this JVM. */
    static ClusterGalleryService of(HazelcastInstance hz) {
        ClusterGalleryService s = running(hz);
        if (s == null) throw new IllegalStateException("no PiCrypt gallery on member " + hz.getName());
        return s;
    }

    /** The service of member {@code hz}, or null if it has been closed. */
    static ClusterGalleryService running(HazelcastInstance hz) {
        return LOCAL.get(hz.getName());
    }
}
