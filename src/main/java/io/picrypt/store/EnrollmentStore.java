package io.picrypt.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the server keeps: keysets (a token hash, the parameter fingerprint and any evaluation keys) and,
 * per keyset, named identities with one or more encrypted templates. Every write is one transaction:
 * once a method returns, the change survives a crash; a crash before that leaves no trace of it.
 * Implementations are thread-safe. A keyset's data is only ever addressed through its id, and the
 * server checks the token before calling any method other than {@link #keyset(String)}.
 */
public interface EnrollmentStore extends AutoCloseable {

    /** What every request's authorization reads: small on purpose (evaluation keys are MBs: {@link #evaluationKeys}). */
    record Keyset(String id, byte[] tokenHash, String paramsFingerprint, Instant created) {}

    record IdentitySummary(String name, int templates, Instant updated) {}

    record Template(String name, byte[] ciphertext) {}

    void createKeyset(Keyset keyset);

    Optional<Keyset> keyset(String id);

    /** Deletes the keyset and all its identities; false if it did not exist. */
    boolean deleteKeyset(String id);

    /**
     * Stores a template under a name: {@code replace} drops the name's previous templates in the same
     * transaction. Returns the name's template count afterwards. Fails if {@code maxTemplates} would be exceeded.
     */
    int putTemplate(String keysetId, String name, byte[] ciphertext, boolean replace, int maxTemplates);

    /** The name's templates in enrollment order; empty if unknown. */
    List<byte[]> templates(String keysetId, String name);

    /** Every template of the keyset, grouped by name in name order, then enrollment order. */
    List<Template> allTemplates(String keysetId);

    List<IdentitySummary> list(String keysetId);

    boolean deleteIdentity(String keysetId, String name);

    /** Increases on every change to the keyset's identities: lets callers cache derived data. */
    long generation(String keysetId);

    /** Bytes of stored ciphertext for the keyset (templates only). */
    long storedBytes(String keysetId);

    /** Distinct 1:1 names of the keyset (for quotas); the default counts {@link #list}. */
    default int identityCount(String keysetId) { return list(keysetId).size(); }

    // ---------------------------------------------------------------- the bulk 1:N gallery (column-packed blocks)

    record GalleryName(String name, int block, int slot) {}

    record GalleryBlock(int block, byte[] data) {}

    /** Stores the keyset's gallery evaluation keys (replacing any). */
    void setEvaluationKeys(String keysetId, byte[] keys);

    /** The keyset's gallery evaluation keys, if uploaded. */
    Optional<byte[]> evaluationKeys(String keysetId);

    /** Appends a block and its names (slot i = names[i]) in one transaction; returns the block number. */
    int addGalleryBlock(String keysetId, byte[] data, List<String> names);

    /** Writes (inserts or replaces) block {@code block} and records {@code name} at {@code slot} of it, in one transaction. */
    void putGalleryName(String keysetId, int block, byte[] data, String name, int slot);

    /** Replaces a block's bytes and forgets one name, in one transaction (a deletion: the slot is tombstoned in data). */
    void removeFromGallery(String keysetId, int block, byte[] data, String name);

    List<GalleryBlock> galleryBlocks(String keysetId);

    List<GalleryName> galleryNames(String keysetId);

    long galleryBytes(String keysetId);

    @Override
    void close();
}
