package io.picrypt.store;

/**
 * A store failure: I/O, a full disk, a limit, a missing row, a corrupted database. The message is safe to show;
 * callers tell failures apart by {@link #kind()}, never by the message text.
 */
public class StoreException extends RuntimeException {
    /** What the failure means for the caller. */
    public enum Kind {
        /** The disk or the database is full (SQLITE_FULL, PostgreSQL 53100); retry after space is freed. */
        FULL,
        /** The store could not be reached, read or written (I/O error, lost connection). */
        UNAVAILABLE,
        /** A per-name limit refused the write (e.g. templates per name); nothing changed. */
        LIMIT,
        /** The keyset or gallery block the write names does not exist; nothing changed. */
        NOT_FOUND,
        /**
         * The write contradicts what the store holds (a gallery slot or name already taken): the writer's copy is stale,
         * e.g. a cluster member took over a block from a backup that missed a committed write; nothing changed.
         */
        CONFLICT,
        /** Anything else (a constraint). */
        OTHER
    }

    private final Kind kind;
    private final boolean maybeCommitted;

    public StoreException(String message, Throwable cause) { this(Kind.OTHER, false, message, cause); }

    public StoreException(String message) { this(Kind.OTHER, false, message, null); }

    /** A failure of the given kind that changed nothing. */
    public StoreException(Kind kind, String message) { this(kind, false, message, null); }

    /** {@code maybeCommitted}: the commit itself failed, so the change may be stored (SQLite's WAL can hold a valid commit frame). */
    public StoreException(Kind kind, boolean maybeCommitted, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.maybeCommitted = maybeCommitted;
    }

    public Kind kind() { return kind; }

    /** True when the failure came from the commit: the change may or may not have been stored. */
    public boolean maybeCommitted() { return maybeCommitted; }
}
