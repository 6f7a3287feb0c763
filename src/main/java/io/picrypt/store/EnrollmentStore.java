package io.picrypt.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the server keeps: keysets (a token hash, the parameter fingerprint and any evaluation keys) and,
 * per keyset, named identities with one or more encrypted templates. Every write is one transaction:
 * once a method returns, the change survives a crash; a crash before that leaves no trace of it.
 * Implementations are thread-safe. A keyset's data is only ever addressed through its id, and the
 * server checks the token before calling any method other than {@link #keyset(String)}. The keyset's 1:N
 * gallery is stored through the {@link GalleryStore} half of the same store (same database, same transactions).
 */
public interface EnrollmentStore extends GalleryStore, AutoCloseable {

    /** What every request's authorization reads: small on purpose (evaluation keys are MBs: {@link #evaluationKeys}). */
    /**
     * {@code keyCheck} / {@code galleryKeyCheck}: the key owner's key-check values (hex, see docs/PROTOCOL.md
     * "Integrity"), null for keysets created before they existed; {@code model}: "name/dimension" of the
     * embedding model whose templates the keyset holds, null until the first enrollment.
     */
    record Keyset(String id, byte[] tokenHash, String paramsFingerprint, Instant created, String keyCheck,
                  String galleryKeyCheck, String model) {
        public Keyset(String id, byte[] tokenHash, String paramsFingerprint, Instant created) {
            this(id, tokenHash, paramsFingerprint, created, null, null, null);
        }
    }

    record IdentitySummary(String name, int templates, Instant updated) {}

    record Template(String name, byte[] ciphertext) {}

    void createKeyset(Keyset keyset);

    Optional<Keyset> keyset(String id);

    /** Deletes the keyset and all its identities; false if it did not exist. */
    boolean deleteKeyset(String id);

    /**
     * Stores a template under a name: {@code replace} drops the name's previous templates in the same
     * transaction. Returns the name's template count afterwards. Fails with a {@link StoreException} of kind
     * {@link StoreException.Kind#LIMIT} (nothing changed) if {@code maxTemplates} would be exceeded.
     */
    int putTemplate(String keysetId, String name, byte[] ciphertext, boolean replace, int maxTemplates);

    /**
     * The name's templates in enrollment order; empty if unknown.
     *
     * @throws CorruptedDataException when stored bytes no longer match the digest recorded when they were written
     */
    List<byte[]> templates(String keysetId, String name);

    /** Every template of the keyset, grouped by name in name order, then enrollment order. */
    List<Template> allTemplates(String keysetId);

    List<IdentitySummary> list(String keysetId);

    boolean deleteIdentity(String keysetId, String name);

    /** Increases on every change to the keyset's identities: lets callers cache derived data. */
    long generation(String keysetId);

    /** Bytes of stored ciphertext for the keyset (templates only). */
    long storedBytes(String keysetId);

    /**
     * Records {@code model} ("name/dimension") as the keyset's embedding model if it has none yet; returns the
     * keyset's model afterwards (the caller refuses the request when it differs).
     */
    String bindModel(String keysetId, String model);

    /** Distinct 1:1 names of the keyset (for quotas); the default counts {@link #list}. */
    default int identityCount(String keysetId) { return list(keysetId).size(); }

    @Override
    void close();
}
