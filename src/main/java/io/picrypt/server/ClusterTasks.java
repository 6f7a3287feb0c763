package io.picrypt.server;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import io.picrypt.match.GalleryEvaluator;
import io.picrypt.server.ClusterMaps.BlockKey;
import io.picrypt.server.ClusterMaps.BlockValue;
import io.picrypt.store.StoreException;

import java.io.Serializable;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The tasks one member sends another through the gallery executor ({@link ClusterMaps#EXEC}): their base (the member's
 * Hazelcast instance, by which a task finds that member's {@link ClusterGalleryService}), the writes run on a block's
 * owner ({@link Enroll}, {@link Delete}) and the cache drop run on every member ({@link Forget}). The identify and stats
 * tasks are in {@link ClusterIdentify} and {@link ClusterStats}. A task is Java-serialized and run once; the writes run
 * under the keyset's cluster-wide lock, held by the member that sent them.
 */
final class ClusterTasks {
    private ClusterTasks() {}

    abstract static class Task<T> implements Callable<T>, Serializable, HazelcastInstanceAware {
        transient HazelcastInstance hz;

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) { this.hz = hz; }
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
            ClusterGalleryService s = ClusterGalleryService.of(hz);
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
            s.parsed.put(key, new ClusterGalleryService.Parsed(v, b));
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
            ClusterGalleryService s = ClusterGalleryService.of(hz);
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
            s.parsed.put(key, new ClusterGalleryService.Parsed(v, b));
            return true;
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
            ClusterGalleryService s = ClusterGalleryService.running(hz);
            if (s == null) return null;
            s.evaluators.remove(keyset);
            if (blocks) s.parsed.keySet().removeIf(k -> k.keyset().equals(keyset));
            return null;
        }
    }
}
