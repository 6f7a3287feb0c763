package io.picrypt.server;

import io.picrypt.ckks.CkksException;
import io.picrypt.http.ApiException;
import io.picrypt.match.GalleryEvaluator;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryPosition;
import io.picrypt.match.GalleryResult;
import io.picrypt.server.ClusterMaps.BlockKey;
import io.picrypt.server.ClusterMaps.Meta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The distributed identify of one member's {@link ClusterGalleryService}: the probe goes to every member ({@link Identify}),
 * each answers for the blocks it owns ({@link Part}), this member merges the parts ({@link GalleryFrames#merge}), retries
 * while partitions migrate, and adds the names from the store; it keeps what the last identify of each keyset cost
 * ({@link LastIdentify}, for {@link ClusterStats}). Thread-safe: identifies run concurrently; the last-identify figures
 * are a concurrent map.
 */
final class ClusterIdentify {
    /** The service's logger: log lines keep their logger name. */
    private static final Logger log = LoggerFactory.getLogger(ClusterGalleryService.class);
    private static final int ATTEMPTS = 20;

    private final ClusterGalleryService service;
    /** Per keyset, what the last identify this member took cost on each member (for stats and the cluster bench). */
    private final ConcurrentHashMap<String, LastIdentify> lastIdentify = new ConcurrentHashMap<>();

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

    ClusterIdentify(ClusterGalleryService service) {
        this.service = service;
    }

    /** The last identify this member took for keyset {@code id}, or null if none. */
    LastIdentify last(String id) {
        return lastIdentify.get(id);
    }

    /** {@link GalleryService#identify}, over the cluster. */
    GalleryFrames.Answer identify(String id, byte[] probe) {
        service.evaluator(id, true);
        int count = service.loaded(id);
        if (count == 0) {
            return new GalleryFrames.Answer(List.of(), List.of(), GalleryResult.write(List.of(), List.of(), GalleryParameters.get()));
        }
        GalleryFrames.Answer merged = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                Meta m = service.meta.get(id);
                if (m == null) { // dropped for a reload since: load again
                    service.loaded(id);
                    m = service.meta.get(id);
                }
                if (m == null || m.blocks() == 0) throw new com.hazelcast.core.HazelcastException("the keyset's blocks are being reloaded");
                count = m.blocks();
                long t0 = System.nanoTime();
                List<GalleryFrames.Answer> parts = new ArrayList<>();
                List<PartStat> stats = new ArrayList<>();
                String self = service.hz.getCluster().getLocalMember().getUuid().toString();
                for (Future<Part> f : service.exec.submitToAllMembers(new Identify(id, probe, count, m.partitionKeys())).values()) {
                    Part p = f.get(ClusterGalleryService.TASK_TIMEOUT_S, TimeUnit.SECONDS);
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
                if (attempt == ATTEMPTS / 2) service.reloadMissing(id, count); // more members lost than backups: from the store
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
            for (var n : service.store.galleryNames(id)) {
                if (n.block() < count && r.blocks().get(n.block()).live(n.slot())) {
                    entries.add(new GalleryFrames.Entry(new GalleryPosition(n.block(), n.slot()).index(), n.name()));
                }
            }
            if (entries.size() == live) return new GalleryFrames.Answer(merged.blocks(), entries, merged.result());
            if (attempt == 3) throw new ApiException(503, "busy", "the gallery changed during this identify; retry").retryAfterSeconds(1);
            sleep(100);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The products of every block of the keyset this member owns: a partial PCGF answer (blocks + result, no names). */
    static final class Identify extends ClusterTasks.Task<Part> {
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
            long t0 = System.nanoTime(), c0 = ClusterGalleryService.processCpuNanos();
            ClusterGalleryService s = ClusterGalleryService.of(hz);
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
                    numbers.size(), (System.nanoTime() - t0) / 1e6, (ClusterGalleryService.processCpuNanos() - c0) / 1e6);
        }
    }
}
