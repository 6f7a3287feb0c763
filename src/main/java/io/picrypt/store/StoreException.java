package io.picrypt.store;

/** A store failure: I/O, a full disk, a limit, a corrupted database. The message is safe to show. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) { super(message, cause); }

    public StoreException(String message) { super(message); }
}
