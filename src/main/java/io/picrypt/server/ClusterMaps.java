package io.picrypt.server;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;

import java.io.Serializable;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A cluster member's Hazelcast configuration and what its maps hold: the names of the block map, the meta map and the
 * executor, the serializable map keys and values ({@link BlockKey}, {@link BlockValue}, {@link Meta}), and the choice
 * of a new block's partition ({@link #place}). Every member of one cluster runs the same build (the records are
 * Java-serialized under their class names). Stateless; the records are immutable (a {@link Meta}'s array is never
 * written after construction).
 */
final class ClusterMaps {
    static final String BLOCKS = "picrypt-gallery-blocks", META = "picrypt-gallery-meta", EXEC = "picrypt-gallery";

    private ClusterMaps() {}

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

    static Config config(ClusterGalleryService.Settings s) {
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
     * A partition key for a new block of a keyset whose blocks have {@code existing} partition keys: one whose partition
     * the member holding the fewest of them owns now (ties: the lowest member UUID), found by trying integers (Hazelcast
     * hashes a key to its partition; a member owns ~271/K partitions, so a few tries suffice).
     */
    static int place(HazelcastInstance hz, int[] existing) {
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
}
