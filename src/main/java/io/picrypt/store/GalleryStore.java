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

    /** Stores the keyset's gallery evaluation keys (replacing any). */
    void setEvaluationKeys(String keysetId, byte[] keys);

    /** The keyset's gallery evaluation keys, if uploaded. */
    Optional<byte[]> evaluationKeys(String keysetId);

    /**
     * Appends a block and its names (slot i = names[i]) in one transaction; returns the block number.
     *
     * @throws StoreException {@link StoreException.Kind#CONFLICT} when a name is already in the keyset's gallery (nothing written)
     */
    int addGalleryBlock(String keysetId, byte[] data, List<String> names);

    /** Writes (inserts or replaces) block {@code block} and records {@code name} at {@code slot} of it, in one transaction. */
    void putGalleryName(String keysetId, int block, byte[] data, String name, int slot);

    /** Replaces a block's bytes and forgets one name, in one transaction (a deletion: the slot is tombstoned in data). */
    void removeFromGallery(String keysetId, int block, byte[] data, String name);

    /** Every block of the keyset, in block order. */
    List<GalleryBlock> galleryBlocks(String keysetId);

    /** One block (digest checked), if the keyset has it. */
    Optional<byte[]> galleryBlock(String keysetId, int block);

    /**
     * Replaces the keyset's whole gallery (every block and name) by {@code blocks} numbered 0.. with their names
     * (slot i of block b = names[b][i]), in one transaction: a compaction either happens entirely or not at all.
     * The evaluation keys stay.
     */
    void replaceGallery(String keysetId, List<byte[]> blocks, List<List<String>> names);

    /** Every name of the keyset's gallery, in (block, slot) order. */
    List<GalleryName> galleryNames(String keysetId);

    /** How many blocks (numbered 0..blocks-1) and names a keyset's gallery holds. */
    record GallerySize(int blocks, int identities) {}

    /** The keyset's gallery size, read in one transaction. */
    GallerySize gallerySize(String keysetId);

    /** Bytes of stored gallery blocks for the keyset. */
    long galleryBytes(String keysetId);
}
