package io.picrypt.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SqliteStoreTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    EnrollmentStore open() { return SqliteStore.open(dir); }

    static long pageSize(Path file) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("PRAGMA page_size")) {
            return r.getLong(1);
        }
    }

    /** New databases get 64 KiB pages (a gallery block is one large blob); an existing database keeps its pages and its data. */
    @Test
    void newDatabasesUseLargePagesOldOnesKeepTheirs() throws Exception {
        try (SqliteStore s = SqliteStore.open(dir)) {
            assertEquals(SqliteStore.PAGE_SIZE, pageSize(s.file()));
        }
        Path old = dir.resolve("old");
        Files.createDirectories(old);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old.resolve(SqliteStore.FILE_NAME)); Statement s = c.createStatement()) {
            s.execute("PRAGMA page_size=4096");
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("CREATE TABLE early (x INTEGER)"); // the file now exists with 4 KiB pages
        }
        try (SqliteStore s = SqliteStore.open(old)) {
            assertEquals(4096, pageSize(s.file()));
            s.createKeyset(new EnrollmentStore.Keyset("ks_old", new byte[]{1}, "fp", Instant.ofEpochMilli(1)));
            assertEquals(0, s.addGalleryBlock("ks_old", new byte[70_000], List.of("a")));
        }
        try (SqliteStore s = SqliteStore.open(old)) {
            assertEquals(70_000, s.galleryBlock("ks_old", 0).orElseThrow().length);
        }
    }
}
