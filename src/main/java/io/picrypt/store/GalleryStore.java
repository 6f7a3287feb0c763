package io.picrypt.store;

import java.util.List;
import java.util.Optional;

/**
 * Durable storage of a keyset's column-packed 1:N gallery: its evaluation keys, its blocks (opaque bytes,
 * numbered 0, 1, ... in the order they were added) and which name sits in which (block, slot). Every write is
 * one transaction: once a method returns, the change survives a crash. Implemented by the JDBC stores beside
 * the templates ({@link JdbcStore}); the server's gallery service is the only caller.
 */
public interface GalleryStore {

    /** A name at slot {@code slot} (0..capacity-1) of block {@code block} (0-based). */
    record GalleryName(String name, int block, int slot) {}

    record GalleryBlock(int block, byte[] data) {}

    /**
     * A single enrollment recorded but not yet folded into its block's stored bytes: the block as the server holds it is
     * the stored block with {@code enrollment} (the client's enrollment ciphertext, as uploaded) enrolled at
     * {@code slot}. Folding (writing the block's bytes and dropping these rows, one transaction) happens later.
     */
    record PendingEnrollment(int block, int slot, byte[] enrollment) {}

    /** Stores the keyset's gallery evaluation keys (replacing any). */
    void setEvaluationKeys(String keysetId, byte[] keys);

    /** The keyset's gallery evaluation keys, if uploaded. */
    Optional<byte[]> evaluationKeys(String keysetId);

    /** Whether the keyset has gallery evaluation keys, without reading them (MBs). */
    default boolean hasEvaluationKeys(String keysetId) {
        return evaluationKeys(keysetId).isPresent();
    }

    /**
     * Appends a block and its names (slot i = names[i]) in one transaction; returns the block number.
     *
     * @throws StoreException {@link StoreException.Kind#CONFLICT} when a name is already in the keyset's gallery (nothing written)
     */
    int addGalleryBlock(String keysetId, byte[] data, List<String> names);

    /**
     * Writes (inserts or replaces) block {@code block} and records {@code name} at {@code slot} of it, in one transaction;
     * {@code data} is the whole block, so the block's pending enrollments (already in it) are dropped.
     */
    void putGalleryName(String keysetId, int block, byte[] data, String name, int slot);

    /**
     * Records one single enrollment without rewriting its block (a few hundred KB instead of the block's ~15 MB): checks
     * that {@code name} and the slot are free, inserts {@code newBlock} as block {@code block} when it is not null (a
     * block opened by this enrollment, stored empty), records {@code enrollment} at {@code slot} of the block as pending
     * and {@code name} there, in one transaction. Readers of the block's bytes see it only after
     * {@link #foldGalleryBlock}; {@link #pendingEnrollments} lists what is pending.
     */
    void putGalleryEnrollment(String keysetId, int block, byte[] newBlock, String name, int slot, byte[] enrollment);

    /** The keyset's pending enrollments (digest checked), by block then slot. */
    List<PendingEnrollment> pendingEnrollments(String keysetId);

    /**
     * Replaces block {@code block}'s bytes by {@code data}, which must include the pending enrollments at {@code slots},
     * and drops those pending rows, in one transaction (a crash leaves either the old bytes and the rows, or both folded).
     */
    void foldGalleryBlock(String keysetId, int block, byte[] data, List<Integer> slots);

    /**
     * Replaces a block's bytes and forgets one name, in one transaction (a deletion: the slot is tombstoned in data);
     * {@code data} is the whole block, so its pending enrollments (already in it) are dropped.
     */
    void removeFromGallery(String keysetId, int block, byte[] data, String name);

    /** Every block of the keyset, in block order, as stored (without its {@link #pendingEnrollments pending enrollments}). */
    List<GalleryBlock> galleryBlocks(String keysetId);

    /** One block (digest checked) as stored (without its pending enrollments), if the keyset has it. */
    Optional<byte[]> galleryBlock(String keysetId, int block);

    /**
     * Replaces the keyset's whole gallery (every block and name) by {@code blocks} numbered 0.. with their names
     * (slot i of block b = names[b][i]), in one transaction: a compaction either happens entirely or not at all.
     * The evaluation keys stay.
     */
    void replaceGallery(String keysetId, List<byte[]> blocks, List<List<String>> names);

    /**
     * Drops the keyset's whole gallery (every block, name and pending enrollment) in one transaction; the evaluation
     * keys stay. What {@code DELETE .../gallery} does, e.g. before a gallery of an earlier layout is rebuilt.
     */
    default void dropGallery(String keysetId) {
        replaceGallery(keysetId, List.of(), List.of());
    }

    /**
     * The first {@code bytes} bytes of every stored block of the keyset, in block order (each shorter if its block is):
     * enough to read a block frame's magic and version without reading (or digest-checking) the blocks, e.g. to find a
     * gallery stored in an earlier version's layout. Not a substitute for the digest check of a block that is used.
     */
    default List<byte[]> galleryBlockHeaders(String keysetId, int bytes) {
        List<byte[]> out = new java.util.ArrayList<>();
        for (GalleryBlock b : galleryBlocks(keysetId)) out.add(java.util.Arrays.copyOf(b.data(), Math.min(bytes, b.data().length)));
        return out;
    }

    /** Every name of the keyset's gallery, in (block, slot) order. */
    List<GalleryName> galleryNames(String keysetId);

    /** How many blocks (numbered 0..blocks-1) and names a keyset's gallery holds. */
    record GallerySize(int blocks, int identities) {}

    /** The keyset's gallery size, read in one transaction. */
    GallerySize gallerySize(String keysetId);

    /** Bytes of stored gallery blocks and pending enrollments for the keyset. */
    long galleryBytes(String keysetId);
}
