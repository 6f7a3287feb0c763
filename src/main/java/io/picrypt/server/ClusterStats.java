package io.picrypt.server;

import io.picrypt.server.ClusterIdentify.LastIdentify;
import io.picrypt.server.ClusterIdentify.PartStat;
import io.picrypt.server.ClusterMaps.BlockKey;

import java.io.Serializable;
import java.util.concurrent.TimeUnit;

/**
 * The per-member figures of one member's {@link ClusterGalleryService} ({@code GET .../gallery?cluster=true},
 * {@code picrypt bench cluster}): what each member holds ({@link MemberStat}, gathered by {@link Stats}) and what the
 * last identify this member took cost ({@link ClusterIdentify.LastIdentify}). Thread-safe: its only state, the time of
 * this member's last requested garbage collection, is volatile (two racing requests may both collect: harmless).
 */
final class ClusterStats {
    private final ClusterGalleryService service;
    private volatile long lastGcNanos;

    /** What one member holds, for {@link #stats}. */
    record MemberStat(String member, int blocksOwned, long ownedEntryBytes, long backupEntryBytes, long heapUsedBytes, long heapMaxBytes)
            implements Serializable {}

    ClusterStats(ClusterGalleryService service) {
        this.service = service;
    }

    /** {@link ClusterGalleryService#stats}. */
    com.fasterxml.jackson.databind.node.ObjectNode stats(String id, boolean gc) {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var o = json.createObjectNode();
        o.put("members", service.members());
        var arr = o.putArray("member_stats");
        for (var e : service.exec.submitToAllMembers(new Stats(id, gc)).entrySet()) {
            try {
                MemberStat m = e.getValue().get(ClusterGalleryService.TASK_TIMEOUT_S, TimeUnit.SECONDS);
                arr.addObject().put("member", m.member()).put("address", e.getKey().getAddress().toString())
                        .put("blocks_owned", m.blocksOwned()).put("owned_entry_bytes", m.ownedEntryBytes())
                        .put("backup_entry_bytes", m.backupEntryBytes()).put("heap_used_bytes", m.heapUsedBytes())
                        .put("heap_max_bytes", m.heapMaxBytes());
            } catch (Exception ex) {
                arr.addObject().put("address", e.getKey().getAddress().toString()).put("error", ex.toString());
            }
        }
        LastIdentify l = service.identifies.last(id);
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

    /** What this member holds of a keyset's gallery (see {@link #stats}). */
    static final class Stats extends ClusterTasks.Task<MemberStat> {
        final String keyset;
        final boolean gc;

        Stats(String keyset, boolean gc) {
            this.keyset = keyset;
            this.gc = gc;
        }

        @Override
        public MemberStat call() {
            ClusterGalleryService s = ClusterGalleryService.of(hz);
            ClusterStats st = s.memberStats;
            if (gc && System.nanoTime() - st.lastGcNanos > TimeUnit.SECONDS.toNanos(10)) {
                st.lastGcNanos = System.nanoTime();
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
}
