package io.picrypt.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded default: one SQLite file in WAL mode with {@code synchronous=FULL}, so a committed
 * transaction is on disk before the call returns (kill -9 loses nothing acknowledged) and readers never
 * block the writer. One connection serialised by a lock: SQLite has a single writer anyway, and the
 * server's expensive work (the encrypted circuits) happens outside the store.
 */
public final class SqliteStore implements EnrollmentStore {
    private static final Logger log = LoggerFactory.getLogger(SqliteStore.class);
    public static final String FILE_NAME = "picrypt.db";

    private final Connection db;
    private final Path file;
    private final ConcurrentHashMap<String, AtomicLong> generations = new ConcurrentHashMap<>();
    private static final AtomicLong EPOCH = new AtomicLong(System.nanoTime());

    private SqliteStore(Connection db, Path file) {
        this.db = db;
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
                s.execute("CREATE TABLE IF NOT EXISTS keysets (id TEXT PRIMARY KEY, token_hash BLOB NOT NULL,"
                        + " params TEXT NOT NULL, eval_keys BLOB, created INTEGER NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS templates (keyset_id TEXT NOT NULL REFERENCES keysets(id) ON DELETE CASCADE,"
                        + " name TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, ct BLOB NOT NULL, created INTEGER NOT NULL)");
                s.execute("CREATE INDEX IF NOT EXISTS templates_by_name ON templates(keyset_id, name, seq)");
            }
            c.setAutoCommit(false);
            c.commit();
            log.info("enrollment store: {}", file.toAbsolutePath());
            return new SqliteStore(c, file);
        } catch (SQLException | java.io.IOException e) {
            throw new StoreException("cannot open the enrollment store in " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path file() { return file; }

    private interface Tx<T> { T run() throws SQLException; }

    private synchronized <T> T tx(Tx<T> body) {
        try {
            T out = body.run();
            db.commit();
            return out;
        } catch (SQLException e) {
            try { db.rollback(); } catch (SQLException ignored) { /* the connection is unusable anyway */ }
            throw new StoreException("enrollment store error: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            try { db.rollback(); } catch (SQLException ignored) { /* reported below */ }
            throw e;
        }
    }

    private void bump(String keysetId) {
        generations.computeIfAbsent(keysetId, k -> new AtomicLong()).set(EPOCH.incrementAndGet());
    }

    @Override
    public void createKeyset(Keyset k) {
        tx(() -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO keysets (id, token_hash, params, eval_keys, created) VALUES (?,?,?,?,?)")) {
                p.setString(1, k.id());
                p.setBytes(2, k.tokenHash());
                p.setString(3, k.paramsFingerprint());
                p.setBytes(4, k.evaluationKeys());
                p.setLong(5, k.created().toEpochMilli());
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<Keyset> keyset(String id) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT token_hash, params, eval_keys, created FROM keysets WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) return Optional.empty();
                    return Optional.of(new Keyset(id, r.getBytes(1), r.getString(2), r.getBytes(3), Instant.ofEpochMilli(r.getLong(4))));
                }
            }
        });
    }

    @Override
    public boolean deleteKeyset(String id) {
        boolean deleted = tx(() -> {
            try (PreparedStatement t = db.prepareStatement("DELETE FROM templates WHERE keyset_id = ?");
                 PreparedStatement k = db.prepareStatement("DELETE FROM keysets WHERE id = ?")) {
                t.setString(1, id);
                t.executeUpdate();
                k.setString(1, id);
                return k.executeUpdate() > 0;
            }
        });
        bump(id);
        return deleted;
    }

    @Override
    public int putTemplate(String keysetId, String name, byte[] ciphertext, boolean replace, int maxTemplates) {
        int count = tx(() -> {
            if (replace) {
                try (PreparedStatement d = db.prepareStatement("DELETE FROM templates WHERE keyset_id = ? AND name = ?")) {
                    d.setString(1, keysetId);
                    d.setString(2, name);
                    d.executeUpdate();
                }
            }
            int existing = countOf(keysetId, name);
            if (existing >= maxTemplates) throw new StoreException("'" + name + "' already has " + existing + " templates (limit " + maxTemplates + ")");
            try (PreparedStatement p = db.prepareStatement("INSERT INTO templates (keyset_id, name, ct, created) VALUES (?,?,?,?)")) {
                p.setString(1, keysetId);
                p.setString(2, name);
                p.setBytes(3, ciphertext);
                p.setLong(4, System.currentTimeMillis());
                p.executeUpdate();
            }
            return existing + 1;
        });
        bump(keysetId);
        return count;
    }

    private int countOf(String keysetId, String name) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*) FROM templates WHERE keyset_id = ? AND name = ?")) {
            p.setString(1, keysetId);
            p.setString(2, name);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }

    @Override
    public List<byte[]> templates(String keysetId, String name) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT ct FROM templates WHERE keyset_id = ? AND name = ? ORDER BY seq")) {
                p.setString(1, keysetId);
                p.setString(2, name);
                List<byte[]> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(r.getBytes(1));
                }
                return out;
            }
        });
    }

    @Override
    public List<Template> allTemplates(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT name, ct FROM templates WHERE keyset_id = ? ORDER BY name, seq")) {
                p.setString(1, keysetId);
                List<Template> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(new Template(r.getString(1), r.getBytes(2)));
                }
                return out;
            }
        });
    }

    @Override
    public List<IdentitySummary> list(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement(
                    "SELECT name, COUNT(*), MAX(created) FROM templates WHERE keyset_id = ? GROUP BY name ORDER BY name")) {
                p.setString(1, keysetId);
                List<IdentitySummary> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(new IdentitySummary(r.getString(1), r.getInt(2), Instant.ofEpochMilli(r.getLong(3))));
                }
                return out;
            }
        });
    }

    @Override
    public boolean deleteIdentity(String keysetId, String name) {
        boolean deleted = tx(() -> {
            try (PreparedStatement d = db.prepareStatement("DELETE FROM templates WHERE keyset_id = ? AND name = ?")) {
                d.setString(1, keysetId);
                d.setString(2, name);
                return d.executeUpdate() > 0;
            }
        });
        if (deleted) bump(keysetId);
        return deleted;
    }

    @Override
    public long generation(String keysetId) {
        AtomicLong g = generations.get(keysetId);
        return g == null ? 0 : g.get();
    }

    @Override
    public long storedBytes(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT COALESCE(SUM(LENGTH(ct)), 0) FROM templates WHERE keyset_id = ?")) {
                p.setString(1, keysetId);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getLong(1);
                }
            }
        });
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            log.warn("closing the store: {}", e.getMessage());
        }
    }
}
