package io.picrypt.store;

/**
 * Stored ciphertext bytes no longer match the SHA-256 digest recorded when the server accepted them (disk
 * corruption, a row restored or copied from elsewhere, a manual edit). Nothing is computed on such bytes; the
 * server answers 409 {@code stored_data_corrupted} and says what to re-enroll.
 */
public final class CorruptedDataException extends StoreException {
    public CorruptedDataException(String message) {
        super(message);
    }
}
