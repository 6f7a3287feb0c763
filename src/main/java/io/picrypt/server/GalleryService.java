package io.picrypt.server;

import io.picrypt.http.ApiException;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryPosition;

import java.util.List;

/**
 * A keyset's column-packed 1:N gallery, as the HTTP layer sees it: evaluation keys, bulk import of blocks, single
 * enrollment, deletion and identification. {@link LocalGalleryService} keeps every block in this process; a
 * clustered implementation may spread blocks over several processes, which is why an identify answer says which
 * blocks it covers ({@link GalleryFrames.Answer}). Callers have already checked the keyset's token and the names'
 * syntax. Every write is durable in the store before the method returns.
 *
 * <p>Errors: {@link ApiException} 409 {@code no_gallery_keys} (no keys uploaded), 409 {@code duplicate_name},
 * 400 {@code bad_request}; {@link io.picrypt.ckks.CkksException} for a malformed ciphertext (the HTTP layer's 400);
 * {@link io.picrypt.store.StoreException} when the store fails (nothing changed).
 */
public interface GalleryService extends AutoCloseable {

    /** Size of a keyset's gallery; {@code names} (position order) only when asked for, else empty. */
    record Info(boolean keys, int identities, int blocks, long storedBytes, List<String> names) {}

    /** A block imported as number {@code block}; the gallery now holds {@code identities}. */
    record Imported(int block, int identities) {}

    /** An identity enrolled at {@code at}; the gallery now holds {@code identities}. */
    record Enrolled(String name, GalleryPosition at, int identities) {}

    Info info(String keysetId, boolean names);

    /** Stores (replacing) the keyset's gallery evaluation keys, validated first ({@code GalleryServer}'s rules). */
    void setKeys(String keysetId, byte[] keys);

    /** Appends one imported block (names in slot order); names must be new to the gallery and distinct. */
    Imported importBlock(String keysetId, GalleryFrames.Import block);

    /** Expands one enrollment ciphertext into the next free slot under {@code name} (new to the gallery). */
    Enrolled enroll(String keysetId, String name, byte[] enrollment);

    /** Tombstones {@code name}'s slot; false if the gallery does not hold it (or has no keys). */
    boolean delete(String keysetId, String name);

    /** One answer covering every block of the keyset (PCGF v2 framing, see {@link GalleryFrames}). */
    GalleryFrames.Answer identify(String keysetId, byte[] probe);

    /** Drops whatever is cached for a keyset (its data was deleted from the store). */
    void forget(String keysetId);

    @Override
    default void close() {}
}
