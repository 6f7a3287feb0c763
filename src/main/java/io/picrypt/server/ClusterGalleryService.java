package io.picrypt.server;

import io.picrypt.http.ApiException;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.map.IMap;
import io.picrypt.ckks.CkksException;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryPosition;
import io.picrypt.match.GalleryResult;
import io.picrypt.match.GalleryEvaluator;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.GalleryStore;
import io.picrypt.store.PostgresStore;
import io.picrypt.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
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
 */
public final class ClusterGalleryService implements GalleryService {
    private static final Logger log = LoggerFactory.getLogger(ClusterGalleryService.class);
    static final String BLOCKS = "picrypt-gallery-blocks", META = "picrypt-gallery-meta", EXEC = "picrypt-gallery";
    /** The service of each member in this JVM, by Hazelcast instance name (tasks find their member's store here). */
    private static final ConcurrentHashMap<String, ClusterGalleryService> LOCAL = new ConcurrentHashMap<>();
    private static final int ATTEMPTS = 20;
    private static final long TASK_TIMEOUT_S = 120;

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

    /**
     * A block's map key. Its partition is chosen, not hashed: {@code partitionKey} is an integer whose partition was owned
     * by the member holding the fewest of the keyset's blocks when the block was placed ({@link #place}), so a keyset's
     * blocks spread evenly over the members (hashing 49 keys into 271 partitions gave 9/20/20 blocks on three members).
     * The partition keys of a keyset's blocks live in its {@link Meta}.
     */
    record BlockKey(String keyset, int block, int partitionKey) implements Serializable, com.hazelcast.partition.PartitionAware<Integer> {
        @Override
        public Integer getPartitionKey() { return partitionKey; }
    }

    record BlockValue(long version, byte[] data) implements Serializable {}

    /** A keyset's block count and each block's partition key (index = block). */
    record Meta(int blocks, int[] partitionKeys) implements Serializable {
        BlockKey key(String keyset, int block) { return new BlockKey(keyset, block, partitionKeys[block]); }

        Meta plus(int partitionKey) {
            int[] k = java.util.Arrays.copyOf(partitionKeys, blocks + 1);
            k[blocks] = partitionKey;
            return new Meta(blocks + 1, k);
        }
    }

    private record Parsed(long version, GalleryEvaluator.Block block) {}

    private final GalleryStore store;
    private final HazelcastInstance hz;
    private final IMap<BlockKey, BlockValue> blocks;
    private final IMap<String, Meta> meta;
    private final IExecutorService exec;
    private final ConcurrentHashMap<String, GalleryEvaluator> evaluators = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<BlockKey, Parsed> parsed = new ConcurrentHashMap<>();
    /** The quota check before a block is added (as in {@link LocalGalleryService}); none until {@link #admitWith}. */
    private volatile LocalGalleryService.BlockAdmission admission = (k, b, n) -> {};
    /** Per keyset, what the last identify this member took cost on each member (for {@link #stats} and the cluster bench). */
    private final ConcurrentHashMap<String, LastIdentify> lastIdentify = new ConcurrentHashMap<>();
    private volatile long lastGcNanos;

    /** One member's part of an identify: its partial PCGF answer, the blocks it covered and its compute time. */
    record Part(byte[] answer, String member, int blocks, double computeMs, double cpuMs) implements Serializable {}

    /**
     * The last identify taken by this member for a keyset: probe size, each member's part (remote parts crossed the
     * network: the probe out, the partial answer back), the merge time on this member and the whole time.
     */
    record LastIdentify(int probeBytes, List<PartStat> parts, double mergeMs, double totalMs) {
        /** Payload bytes between members: the probe to each other member and its partial answer back. */
        long networkBytes() {
            long b = 0;
            for (PartStat p : parts) if (p.remote()) b += probeBytes + p.answerBytes();
            return b;
        }
    }

    record PartStat(String member, boolean remote, int blocks, double computeMs, double cpuMs, int answerBytes) {}

    /** What one member holds, for {@link #stats}. */
    record MemberStat(String member, int blocksOwned, long ownedEntryBytes, long backupEntryBytes, long heapUsedBytes, long heapMaxBytes)
            implements Serializable {}

    /** Starts this process's member and joins the cluster; the store must be PostgreSQL (shared by all members). */
    public ClusterGalleryService(EnrollmentStore store, Settings settings) {
        if (!(store instanceof PostgresStore)) {
            throw new IllegalArgumentException("a cluster keeps its durable state in PostgreSQL, shared by every member:"
                    + " start the server with --store jdbc:postgresql://... (SQLite is one process's file)");
        }
        this.store = store;
        Config c = config(settings);
        this.hz = Hazelcast.newHazelcastInstance(c);
        LOCAL.put(hz.getName(), this);
        this.blocks = hz.getMap(BLOCKS);
        this.meta = hz.getMap(META);
        this.exec = hz.getExecutorService(EXEC);
        log.info("cluster member {} of '{}' on {}:{}, {} member(s)", hz.getName(), settings.name(), settings.bindInterface(),
                settings.port(), hz.getCluster().getMembers().size());
    }

    static Config config(Settings s) {
        Config c = new Config();
        c.setClusterName(s.name());
        c.setInstanceName("picrypt-" + s.name() + "-" + UUID.randomUUID());
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        c.setProperty("hazelcast.socket.bind.any", "false");
        // a killed member is noticed in seconds, not the default minute
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.getInteger("picrypt.cluster.maxNoHeartbeatSeconds", 8).toString());
        c.setProperty("hazelcast.wait.seconds.before.join", "1");
        NetworkConfig n = c.getNetworkConfig();
        n.setPort(s.port()).setPortAutoIncrement(false);
        n.getInterfaces().setEnabled(true).addInterface(s.bindInterface());
        JoinConfig j = n.getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true).setMembers(s.members()).setConnectionTimeoutSeconds(3);
        c.getMapConfig(BLOCKS).setBackupCount(1);
        c.getMapConfig(META).setBackupCount(1);
        c.getExecutorConfig(EXEC).setPoolSize(Math.max(4, Runtime.getRuntime().availableProcessors()));
        return c;
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
        List<GalleryStore.GalleryName> all = store.galleryNames(id);
        return new Info(true, all.size(), loaded(id), store.galleryBytes(id),
                names ? all.stream().map(GalleryStore.GalleryName::name).toList() : List.of());
    }

    @Override
    public void setKeys(String id, byte[] keys) {
        new GalleryEvaluator(keys); // validates before anything is stored
        locked(id, () -> {
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
            int pk = place(m.partitionKeys());
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
                BlockKey key = target < count ? m.key(id, target) : new BlockKey(id, target, place(m.partitionKeys()));
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
        evaluator(id, true);
        int count = loaded(id);
        if (count == 0) {
            return new GalleryFrames.Answer(List.of(), List.of(), GalleryResult.write(List.of(), List.of(), GalleryParameters.get()));
        }
        GalleryFrames.Answer merged = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                Meta m = meta.get(id);
                if (m == null) { // dropped for a reload since: load again
                    loaded(id);
                    m = meta.get(id);
                }
                if (m == null || m.blocks() == 0) throw new com.hazelcast.core.HazelcastException("the keyset's blocks are being reloaded");
                count = m.blocks();
                long t0 = System.nanoTime();
                List<GalleryFrames.Answer> parts = new ArrayList<>();
                List<PartStat> stats = new ArrayList<>();
                String self = hz.getCluster().getLocalMember().getUuid().toString();
                for (Future<Part> f : exec.submitToAllMembers(new Identify(id, probe, count, m.partitionKeys())).values()) {
                    Part p = f.get(TASK_TIMEOUT_S, TimeUnit.SECONDS);
                    parts.add(GalleryFrames.readAnswer(p.answer()));
                    stats.add(new PartStat(p.member(), !p.member().equals(self), p.blocks(), p.computeMs(), p.cpuMs(), p.answer().length));
                }
                long t1 = System.nanoTime();
                GalleryFrames.Answer whole = null;
                try {
                    whole = GalleryFrames.merge(parts);
                } catch (IllegalArgumentException twice) {
                    // a block in two partial answers: a partition moved between two members' parts (a member joined or
                    // left during this identify); the next attempt sees the new owner only
                    log.info("identify: {} (partitions migrating?); retrying", twice.getMessage());
                }
                if (whole != null && whole.blocks().size() == count) {
                    merged = whole;
                    lastIdentify.put(id, new LastIdentify(probe.length, List.copyOf(stats), (System.nanoTime() - t1) / 1e6, (System.nanoTime() - t0) / 1e6));
                    break;
                }
                if (whole != null) log.info("identify covered {} of {} blocks (partitions migrating?); retrying", whole.blocks().size(), count);
                if (attempt == ATTEMPTS / 2) reloadMissing(id, count); // more members lost than backups: from the store
            } catch (ExecutionException e) {
                if (e.getCause() instanceof CkksException c) throw c;
                if (e.getCause() instanceof ApiException a) throw a;
                if (e.getCause() instanceof IllegalArgumentException a) throw a;
                log.info("identify on a member failed ({}); retrying", e.getCause() == null ? e : e.getCause().toString());
            } catch (TimeoutException | com.hazelcast.core.HazelcastException e) {
                log.info("identify on a member failed ({}); retrying", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException(503, "cluster_unavailable", "interrupted");
            }
            merged = null;
            sleep(500);
        }
        if (merged == null || merged.blocks().size() != count) {
            throw new ApiException(503, "cluster_unavailable", "the cluster could not answer for every gallery block; retry shortly");
        }
        // names from the store, shown only where the merged result reports a live slot (a write racing this identify);
        // writers publish a block only after its store commit, so every live slot has its name; checked all the same
        GalleryResult.Contents r = GalleryResult.read(merged.result(), GalleryParameters.get());
        int live = 0;
        for (GalleryResult.BlockResult b : r.blocks()) for (int s = 0; s < GalleryParameters.BLOCK_CAPACITY; s++) if (b.live(s)) live++;
        for (int attempt = 0; ; attempt++) {
            List<GalleryFrames.Entry> entries = new ArrayList<>();
            for (var n : store.galleryNames(id)) {
                if (n.block() < count && r.blocks().get(n.block()).live(n.slot())) {
                    entries.add(new GalleryFrames.Entry(new GalleryPosition(n.block(), n.slot()).index(), n.name()));
                }
            }
            if (entries.size() == live) return new GalleryFrames.Answer(merged.blocks(), entries, merged.result());
            if (attempt == 3) throw new ApiException(503, "busy", "the gallery changed during this identify; retry").retryAfterSeconds(1);
            sleep(100);
        }
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
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var o = json.createObjectNode();
        o.put("members", members());
        var arr = o.putArray("member_stats");
        for (var e : exec.submitToAllMembers(new Stats(id, gc)).entrySet()) {
            try {
                MemberStat m = e.getValue().get(TASK_TIMEOUT_S, TimeUnit.SECONDS);
                arr.addObject().put("member", m.member()).put("address", e.getKey().getAddress().toString())
                        .put("blocks_owned", m.blocksOwned()).put("owned_entry_bytes", m.ownedEntryBytes())
                        .put("backup_entry_bytes", m.backupEntryBytes()).put("heap_used_bytes", m.heapUsedBytes())
                        .put("heap_max_bytes", m.heapMaxBytes());
            } catch (Exception ex) {
                arr.addObject().put("address", e.getKey().getAddress().toString()).put("error", ex.toString());
            }
        }
        LastIdentify l = lastIdentify.get(id);
        if (l != null) {
            var li = o.putObject("last_identify");
            li.put("probe_bytes", l.probeBytes()).put("merge_ms", l.mergeMs()).put("total_ms", l.totalMs())
                    .put("network_payload_bytes", l.networkBytes());
            var parts = li.putArray("parts");
            for (PartStat p : l.parts()) {
                parts.addObject().put("member", p.member()).put("remote", p.remote()).put("blocks", p.blocks())
                        .put("compute_ms", p.computeMs()).put("cpu_ms", p.cpuMs()).put("answer_bytes", p.answerBytes());
            }
        }
        return o;
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
    private int loaded(String id) {
        Meta m = meta.get(id);
        if (m != null) return m.blocks();
        return locked(id, () -> {
            Meta again = meta.get(id);
            if (again != null) return again.blocks();
            foldPending(id);
            // entries of this keyset still in the map (under keys no meta names any more) are stale: drop them first
            for (BlockKey k : blocks.keySet()) {
                if (k.keyset().equals(id)) blocks.delete(k);
            }
            List<GalleryStore.GalleryBlock> all = store.galleryBlocks(id);
            int[] keys = new int[0];
            for (var b : all) {
                int pk = place(keys);
                keys = java.util.Arrays.copyOf(keys, keys.length + 1);
                keys[keys.length - 1] = pk;
                blocks.set(new BlockKey(id, b.block(), pk), new BlockValue(ThreadLocalRandom.current().nextLong(), b.data()));
            }
            meta.set(id, new Meta(all.size(), keys));
            if (!all.isEmpty()) log.info("keyset {}: {} gallery blocks loaded from the store into the cluster", id, all.size());
            return all.size();
        });
    }

    private void reloadMissing(String id, int count) {
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

    private GalleryEvaluator evaluator(String id, boolean required) {
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
    private GalleryEvaluator.Block copy(GalleryEvaluator gs, BlockKey key) {
        BlockValue v = blocks.get(key);
        return v == null ? null : gs.readBlock(v.data());
    }

    /** The block as this member holds it (it owns the key), parsed once per version. */
    private GalleryEvaluator.Block local(GalleryEvaluator gs, BlockKey key) {
        BlockValue v = blocks.get(key);
        if (v == null) return null;
        Parsed p = parsed.get(key);
        if (p != null && p.version() == v.version()) return p.block();
        GalleryEvaluator.Block b = gs.readBlock(v.data());
        parsed.put(key, new Parsed(v.version(), b));
        return b;
    }

    /**
     * A partition key for a new block of a keyset whose blocks have {@code existing} partition keys: one whose partition
     * the member holding the fewest of them owns now (ties: the lowest member UUID), found by trying integers (Hazelcast
     * hashes a key to its partition; a member owns ~271/K partitions, so a few tries suffice).
     */
    private int place(int[] existing) {
        var ps = hz.getPartitionService();
        java.util.TreeMap<UUID, Integer> load = new java.util.TreeMap<>();
        for (var m : hz.getCluster().getMembers()) load.put(m.getUuid(), 0);
        for (int k : existing) {
            var owner = ps.getPartition(k).getOwner();
            if (owner != null) load.computeIfPresent(owner.getUuid(), (u, n) -> n + 1);
        }
        UUID target = load.entrySet().stream().min(Map.Entry.<UUID, Integer>comparingByValue()).map(Map.Entry::getKey).orElse(null);
        int start = ThreadLocalRandom.current().nextInt(1 << 20);
        for (int i = 0; i < 100_000; i++) {
            var owner = ps.getPartition(start + i).getOwner();
            if (owner != null && owner.getUuid().equals(target)) return start + i;
        }
        return start; // partition table not ready (migrating): any partition
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** CPU time of this process so far (all threads: the products run on the common pool), or -1 if unavailable. */
    public static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    private static ClusterGalleryService of(HazelcastInstance hz) {
        ClusterGalleryService s = LOCAL.get(hz.getName());
        if (s == null) throw new IllegalStateException("no PiCrypt gallery on member " + hz.getName());
        return s;
    }

    // ------------------------------------------------------------------ tasks (run on the member that owns the data)

    private abstract static class Task<T> implements Callable<T>, Serializable, HazelcastInstanceAware {
        transient HazelcastInstance hz;

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) { this.hz = hz; }
    }

    /** The products of every block of the keyset this member owns: a partial PCGF answer (blocks + result, no names). */
    static final class Identify extends Task<Part> {
        final String keyset;
        final byte[] probe;
        final int count;
        /** The keyset's current partition key per block (its {@link Meta}): entries under any other key are stale. */
        final int[] partitionKeys;

        Identify(String keyset, byte[] probe, int count, int[] partitionKeys) {
            this.keyset = keyset;
            this.probe = probe;
            this.count = count;
            this.partitionKeys = partitionKeys;
        }

        @Override
        public Part call() {
            long t0 = System.nanoTime(), c0 = processCpuNanos();
            ClusterGalleryService s = of(hz);
            GalleryEvaluator gs = s.evaluator(keyset, true);
            List<BlockKey> mine = new ArrayList<>();
            // only the current keys: an entry left under an older key (a write that landed after dropForReload deleted
            // it, or a backup restored beside the reload) would otherwise count its block twice, refused until a restart
            for (BlockKey k : s.blocks.localKeySet()) {
                if (k.keyset().equals(keyset) && k.block() < count && k.block() < partitionKeys.length
                        && k.partitionKey() == partitionKeys[k.block()]) mine.add(k);
            }
            mine.sort(Comparator.comparingInt(BlockKey::block));
            List<Integer> numbers = new ArrayList<>();
            List<GalleryEvaluator.Block> held = new ArrayList<>();
            for (BlockKey k : mine) {
                GalleryEvaluator.Block b = s.local(gs, k);
                if (b == null) continue;
                numbers.add(k.block());
                held.add(b);
            }
            byte[] result = held.isEmpty() ? GalleryResult.write(List.of(), List.of(), GalleryParameters.get()) : gs.identify(held, probe);
            return new Part(GalleryFrames.writeAnswer(numbers, List.of(), result), hz.getCluster().getLocalMember().getUuid().toString(),
                    numbers.size(), (System.nanoTime() - t0) / 1e6, (processCpuNanos() - c0) / 1e6);
        }
    }

    /** One enrollment into block {@code block} (a new block when {@code fresh}): slot used, or -1 when the block is full. */
    static final class Enroll extends Task<Integer> {
        final String keyset, name;
        final int block;
        final BlockKey key;
        final boolean fresh;
        final byte[] enrollment;

        Enroll(BlockKey key, boolean fresh, String name, byte[] enrollment) {
            this.key = key;
            this.keyset = key.keyset();
            this.block = key.block();
            this.fresh = fresh;
            this.name = name;
            this.enrollment = enrollment;
        }

        @Override
        public Integer call() {
            ClusterGalleryService s = of(hz);
            GalleryEvaluator gs = s.evaluator(keyset, true);
            // a private copy: identifies on this member keep computing on the published block until the store commit
            GalleryEvaluator.Block owned = fresh ? null : s.local(gs, key); // parsed once per version, not per enrollment
            GalleryEvaluator.Block b = fresh ? gs.newBlock() : owned == null ? null : owned.copy();
            if (b == null) throw new IllegalStateException("gallery block " + block + " is missing from the cluster");
            int slot = b.firstFreeSlot();
            if (slot < 0) return -1;
            gs.enroll(b, slot, enrollment);
            byte[] data = b.toBytes();
            try {
                s.store.putGalleryName(keyset, block, data, name, slot); // durable before the map and the answer
            } catch (StoreException e) {
                s.parsed.remove(key); // the parsed block is ahead of the store
                throw e;
            }
            long v = ThreadLocalRandom.current().nextLong();
            s.blocks.set(key, new BlockValue(v, data));
            s.parsed.put(key, new Parsed(v, b));
            return slot;
        }
    }

    static final class Delete extends Task<Boolean> {
        final String keyset, name;
        final int block, slot;
        final BlockKey key;

        Delete(BlockKey key, int slot, String name) {
            this.key = key;
            this.keyset = key.keyset();
            this.block = key.block();
            this.slot = slot;
            this.name = name;
        }

        @Override
        public Boolean call() {
            ClusterGalleryService s = of(hz);
            GalleryEvaluator gs = s.evaluator(keyset, true);
            GalleryEvaluator.Block b = s.copy(gs, key); // a private copy, published after the store commit
            if (b == null) throw new IllegalStateException("gallery block " + block + " is missing from the cluster");
            gs.delete(b, slot);
            byte[] data = b.toBytes();
            try {
                s.store.removeFromGallery(keyset, block, data, name);
            } catch (StoreException e) {
                s.parsed.remove(key);
                throw e;
            }
            long v = ThreadLocalRandom.current().nextLong();
            s.blocks.set(key, new BlockValue(v, data));
            s.parsed.put(key, new Parsed(v, b));
            return true;
        }
    }

    /** What this member holds of a keyset's gallery (see {@link #stats}). */
    static final class Stats extends Task<MemberStat> {
        final String keyset;
        final boolean gc;

        Stats(String keyset, boolean gc) {
            this.keyset = keyset;
            this.gc = gc;
        }

        @Override
        public MemberStat call() {
            ClusterGalleryService s = of(hz);
            if (gc && System.nanoTime() - s.lastGcNanos > TimeUnit.SECONDS.toNanos(10)) {
                s.lastGcNanos = System.nanoTime();
                System.gc();
            }
            int owned = 0;
            for (BlockKey k : s.blocks.localKeySet()) if (k.keyset().equals(keyset)) owned++;
            var ls = s.blocks.getLocalMapStats();
            Runtime rt = Runtime.getRuntime();
            return new MemberStat(hz.getCluster().getLocalMember().getUuid().toString(), owned, ls.getOwnedEntryMemoryCost(),
                    ls.getBackupEntryMemoryCost(), rt.totalMemory() - rt.freeMemory(), rt.maxMemory());
        }
    }

    /** Drops a keyset's evaluator (keys replaced) and, when {@code blocks}, its parsed blocks. */
    static final class Forget extends Task<Void> {
        final String keyset;
        final boolean blocks;

        Forget(String keyset, boolean blocks) {
            this.keyset = keyset;
            this.blocks = blocks;
        }

        @Override
        public Void call() {
            ClusterGalleryService s = LOCAL.get(hz.getName());
            if (s == null) return null;
            s.evaluators.remove(keyset);
            if (blocks) s.parsed.keySet().removeIf(k -> k.keyset().equals(keyset));
            return null;
        }
    }
}
