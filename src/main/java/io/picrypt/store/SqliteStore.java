package io.picrypt.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The embedded default: one SQLite file in WAL mode with {@code synchronous=FULL}, so a committed transaction is
 * on disk before the call returns (kill -9 loses nothing acknowledged) and readers never block the writer.
 */
public final class SqliteStore extends JdbcStore {
    private static final Logger log = LoggerFactory.getLogger(SqliteStore.class);
    public static final String FILE_NAME = "picrypt.db";

    private final Path file;

    private SqliteStore(Connection db, Path file) {
        super(db);
        this.file = file;
    }

    /** Opens (creating if needed) {@code dir/picrypt.db}. */
    public static SqliteStore open(Path dir) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(FILE_NAME);
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA foreign_keys=ON");
                s.execute("PRAGMA busy_timeout=10000");
            }
            createSchema(c, "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT");
            c.setAutoCommit(false);
            c.commit();
            log.info("enrollment store: {}", file.toAbsolutePath());
            return new SqliteStore(c, file);
        } catch (SQLException | IOException e) {
            throw new StoreException("cannot open the enrollment store in " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path file() { return file; }
}
