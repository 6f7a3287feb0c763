package io.picrypt.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The embedded default: one SQLite file (64 KiB pages) in WAL mode with {@code synchronous=FULL}, so a committed transaction is
 * on disk before the call returns (kill -9 loses nothing acknowledged) and readers never block the writer.
 * The directory is created 0700 and the database 0600 before SQLite opens it (SQLite gives its -wal and -shm
 * files the database's mode), so the templates are not readable by other local users. After a failure
 * (full disk, I/O error) the store reopens the file on the next call.
 */
public final class SqliteStore extends JdbcStore {
    private static final Logger log = LoggerFactory.getLogger(SqliteStore.class);
    public static final String FILE_NAME = "picrypt.db";
    /** Page size of new databases (bytes). */
    static final int PAGE_SIZE = 65536;
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private final Path file;
    private final Supplier<List<String>> extraPragmas;

    private SqliteStore(Connection db, Path file, Supplier<List<String>> extraPragmas) {
        super(db);
        this.file = file;
        this.extraPragmas = extraPragmas;
    }

    /** Opens (creating if needed) {@code dir/picrypt.db}. */
    public static SqliteStore open(Path dir) {
        return open(dir, List::of);
    }

    /**
     * As {@link #open(Path)}, running {@code extraPragmas} (e.g. {@code PRAGMA max_page_count=...}) on every
     * connection it opens, including reconnections: tests use it to make the database "full" in place of a disk.
     */
    public static SqliteStore open(Path dir, Supplier<List<String>> extraPragmas) {
        try {
            boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
            if (!Files.isDirectory(dir)) {
                if (posix) Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
                else Files.createDirectories(dir);
            }
            Path file = dir.resolve(FILE_NAME);
            if (posix) {
                if (!Files.exists(file)) Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
                for (String suffix : new String[]{"", "-wal", "-shm", "-journal"}) {
                    Path f = dir.resolve(FILE_NAME + suffix);
                    if (Files.exists(f) && !Files.getPosixFilePermissions(f).equals(FILE_MODE)) {
                        Files.setPosixFilePermissions(f, FILE_MODE);
                        log.info("{} was readable by other users: now 0600", f);
                    }
                }
            }
            Connection c = connect(file, extraPragmas);
            log.info("enrollment store: {}", file.toAbsolutePath());
            return new SqliteStore(c, file, extraPragmas);
        } catch (SQLException | IOException e) {
            throw new StoreException("cannot open the enrollment store in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Connection connect(Path file, Supplier<List<String>> extraPragmas) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try {
            try (Statement s = c.createStatement()) {
                // 64 KiB pages (SQLite's largest) for a new database; an existing one keeps its page size. A gallery block
                // is a ~7.6 MB blob: at the default 4 KiB it spans ~1,900 overflow pages, each a WAL frame written,
                // checksummed and checkpointed; at 64 KiB, 16x fewer: a block's commit took 2-3x less CPU and wall time
                // (docs/BENCHMARKS.md, "Bulk import over HTTP"), while a one-template transaction costs about the same.
                s.execute("PRAGMA page_size=" + PAGE_SIZE);
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA foreign_keys=ON");
                s.execute("PRAGMA busy_timeout=10000");
                for (String p : extraPragmas.get()) s.execute(p);
            }
            createSchema(c, "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT");
            c.setAutoCommit(false);
            c.commit();
            return c;
        } catch (SQLException e) {
            try { c.close(); } catch (SQLException ignored) { /* reporting the first failure */ }
            throw e;
        }
    }

    @Override
    protected Connection reopen() throws SQLException {
        return connect(file, extraPragmas);
    }

    public Path file() { return file; }
}
