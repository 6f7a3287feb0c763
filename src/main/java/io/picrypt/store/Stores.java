package io.picrypt.store;

import java.nio.file.Path;

/** The choice of enrollment store: PostgreSQL when a JDBC URL is given, else SQLite in a data directory. */
public final class Stores {
    private Stores() {}

    /**
     * Opens the store a server is configured with.
     *
     * @param url     a {@code jdbc:postgresql://...} URL, or null for SQLite
     * @param dataDir SQLite's directory ({@code picrypt.db} inside), used when {@code url} is null
     * @throws IllegalArgumentException for a URL that is not PostgreSQL's
     * @throws StoreException           when the store cannot be opened
     */
    public static EnrollmentStore open(String url, Path dataDir) {
        return url != null ? PostgresStore.open(url) : SqliteStore.open(dataDir);
    }

    /**
     * The store every member of a cluster shares: only PostgreSQL (SQLite is one process's file).
     *
     * @throws IllegalArgumentException when {@code url} is null
     */
    public static EnrollmentStore openShared(String url) {
        if (url == null) {
            throw new IllegalArgumentException("a cluster keeps its durable state in PostgreSQL, shared by every member:"
                    + " start the server with --store jdbc:postgresql://... (SQLite is one process's file)");
        }
        return PostgresStore.open(url);
    }
}
