package io.picrypt.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
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
 * The store on one JDBC connection, for SQLite (the embedded default) and PostgreSQL: the same SQL on both
 * (standard upserts), one transaction per write, committed before the call returns. One connection behind a
 * lock: the stores' work is small next to the encrypted circuits, which run outside it.
 */
public abstract class JdbcStore implements EnrollmentStore {
    private static final Logger log = LoggerFactory.getLogger(JdbcStore.class);
    /** The connection; null after a failure that may have left it unusable (the next call opens a new one). */
    private Connection db;
    private final ConcurrentHashMap<String, AtomicLong> generations = new ConcurrentHashMap<>();
    private static final AtomicLong EPOCH = new AtomicLong(System.nanoTime());

    /** Takes a connection with the schema in place and auto-commit off. */
    protected JdbcStore(Connection db) {
        this.db = db;
    }

    /** The schema: {@code blob} is the binary column type, {@code serial} the auto-increment primary key. */
    protected static void createSchema(Connection c, String blob, String serial) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS keysets (id TEXT PRIMARY KEY, token_hash " + blob + " NOT NULL,"
                    + " params TEXT NOT NULL, eval_keys " + blob + ", created BIGINT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS templates (keyset_id TEXT NOT NULL REFERENCES keysets(id) ON DELETE CASCADE,"
                    + " name TEXT NOT NULL, seq " + serial + ", ct " + blob + " NOT NULL, created BIGINT NOT NULL)");
            s.execute("CREATE INDEX IF NOT EXISTS templates_by_name ON templates(keyset_id, name, seq)");
            s.execute("CREATE TABLE IF NOT EXISTS gallery_blocks (keyset_id TEXT NOT NULL REFERENCES keysets(id) ON DELETE CASCADE,"
                    + " block INTEGER NOT NULL, data " + blob + " NOT NULL, PRIMARY KEY (keyset_id, block))");
            s.execute("CREATE TABLE IF NOT EXISTS gallery_names (keyset_id TEXT NOT NULL REFERENCES keysets(id) ON DELETE CASCADE,"
                    + " name TEXT NOT NULL, block INTEGER NOT NULL, slot INTEGER NOT NULL, PRIMARY KEY (keyset_id, name))");
        }
        Digests.migrate(c, blob);
    }

    /**
     * A fresh connection (schema in place, auto-commit off) after a failure: how the store recovers from a full
     * disk or an I/O error without a restart. The default cannot reconnect.
     */
    protected Connection reopen() throws SQLException {
        throw new SQLException("this store cannot reconnect");
    }

    private interface Tx<T> { T run() throws SQLException; }

    /**
     * One transaction. On a failure it is rolled back; unless the failure was a plain constraint violation the
     * connection is dropped too (a full disk or an I/O error can leave it unusable) and the next call reconnects,
     * so the store recovers by itself once the cause is gone. A failure of the commit itself is reported as
     * {@link StoreException#maybeCommitted()}: SQLite may have written a valid commit frame before the error.
     */
    private synchronized <T> T tx(Tx<T> body) {
        boolean committing = false;
        try {
            if (db == null) {
                db = reopen();
                log.info("enrollment store reconnected");
            }
            T out = body.run();
            committing = true;
            db.commit();
            return out;
        } catch (SQLException e) {
            StoreException.Kind kind = classify(e);
            if (db != null) {
                try { db.rollback(); } catch (SQLException ignored) { /* dropped below */ }
                if (kind != StoreException.Kind.OTHER || committing) {
                    try { db.close(); } catch (SQLException ignored) { /* already broken */ }
                    db = null;
                }
            }
            log.warn("store failure ({}{}): {}", kind, committing ? ", during commit" : "", e.getMessage());
            String what = switch (kind) {
                case FULL -> "the enrollment store's disk is full";
                case UNAVAILABLE -> "the enrollment store is unavailable (I/O error)";
                default -> "enrollment store error: " + e.getMessage(); // classify() gives FULL, UNAVAILABLE or OTHER
            };
            throw new StoreException(kind, committing, what, e);
        } catch (RuntimeException e) {
            if (db != null) {
                try { db.rollback(); } catch (SQLException ignored) { db = null; }
            }
            throw e;
        }
    }

    /** FULL for a full disk or database, OTHER for constraint violations, UNAVAILABLE for the rest (I/O, connection). */
    static StoreException.Kind classify(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            String state = t instanceof SQLException s && s.getSQLState() != null ? s.getSQLState() : "";
            if (m.contains("SQLITE_FULL") || m.contains("disk is full") || state.equals("53100") || m.contains("No space left")) {
                return StoreException.Kind.FULL;
            }
        }
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String m = String.valueOf(e.getMessage());
        if (state.startsWith("23") || m.contains("SQLITE_CONSTRAINT")) return StoreException.Kind.OTHER;
        return StoreException.Kind.UNAVAILABLE;
    }

    private void bump(String keysetId) {
        generations.computeIfAbsent(keysetId, k -> new AtomicLong()).set(EPOCH.incrementAndGet());
    }

    @Override
    public void createKeyset(Keyset k) {
        tx(() -> {
            try (PreparedStatement p = db.prepareStatement(
                    "INSERT INTO keysets (id, token_hash, params, created, key_check, gallery_key_check, model) VALUES (?,?,?,?,?,?,?)")) {
                p.setString(1, k.id());
                p.setBytes(2, k.tokenHash());
                p.setString(3, k.paramsFingerprint());
                p.setLong(4, k.created().toEpochMilli());
                p.setString(5, k.keyCheck());
                p.setString(6, k.galleryKeyCheck());
                p.setString(7, k.model());
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<Keyset> keyset(String id) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement(
                    "SELECT token_hash, params, created, key_check, gallery_key_check, model FROM keysets WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) return Optional.empty();
                    return Optional.of(new Keyset(id, r.getBytes(1), r.getString(2), Instant.ofEpochMilli(r.getLong(3)),
                            r.getString(4), r.getString(5), r.getString(6)));
                }
            }
        });
    }

    @Override
    public boolean deleteKeyset(String id) {
        boolean deleted = tx(() -> {
            for (String table : new String[]{"gallery_names", "gallery_blocks"}) {
                try (PreparedStatement g = db.prepareStatement("DELETE FROM " + table + " WHERE keyset_id = ?")) {
                    g.setString(1, id);
                    g.executeUpdate();
                }
            }
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
            if (existing >= maxTemplates) throw new StoreException(StoreException.Kind.LIMIT, "'" + name + "' already has " + existing + " templates (limit " + maxTemplates + ")");
            try (PreparedStatement p = db.prepareStatement("INSERT INTO templates (keyset_id, name, ct, created, digest) VALUES (?,?,?,?,?)")) {
                p.setString(1, keysetId);
                p.setString(2, name);
                p.setBytes(3, ciphertext);
                p.setLong(4, System.currentTimeMillis());
                p.setBytes(5, Digests.template(keysetId, name, ciphertext));
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
            try (PreparedStatement p = db.prepareStatement("SELECT ct, digest FROM templates WHERE keyset_id = ? AND name = ? ORDER BY seq")) {
                p.setString(1, keysetId);
                p.setString(2, name);
                List<byte[]> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(Digests.checkTemplate(keysetId, name, r.getBytes(1), r.getBytes(2)));
                }
                return out;
            }
        });
    }

    @Override
    public List<Template> allTemplates(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT name, ct, digest FROM templates WHERE keyset_id = ? ORDER BY name, seq")) {
                p.setString(1, keysetId);
                List<Template> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        String name = r.getString(1);
                        out.add(new Template(name, Digests.checkTemplate(keysetId, name, r.getBytes(2), r.getBytes(3))));
                    }
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
    public int identityCount(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT COUNT(DISTINCT name) FROM templates WHERE keyset_id = ?")) {
                p.setString(1, keysetId);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getInt(1);
                }
            }
        });
    }

    @Override
    public long generation(String keysetId) {
        AtomicLong g = generations.get(keysetId);
        return g == null ? 0 : g.get();
    }

    @Override
    public long storedBytes(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT COALESCE(SUM(OCTET_LENGTH(ct)), 0) FROM templates WHERE keyset_id = ?")) {
                p.setString(1, keysetId);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getLong(1);
                }
            }
        });
    }

    @Override
    public String bindModel(String keysetId, String model) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE keysets SET model = ? WHERE id = ? AND model IS NULL")) {
                p.setString(1, model);
                p.setString(2, keysetId);
                p.executeUpdate();
            }
            try (PreparedStatement p = db.prepareStatement("SELECT model FROM keysets WHERE id = ?")) {
                p.setString(1, keysetId);
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) throw new StoreException(StoreException.Kind.NOT_FOUND, "no keyset " + keysetId);
                    return r.getString(1);
                }
            }
        });
    }

    @Override
    public void setEvaluationKeys(String keysetId, byte[] keys) {
        tx(() -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE keysets SET eval_keys = ? WHERE id = ?")) {
                p.setBytes(1, keys);
                p.setString(2, keysetId);
                if (p.executeUpdate() != 1) throw new StoreException(StoreException.Kind.NOT_FOUND, "no keyset " + keysetId);
            }
            return null;
        });
    }

    @Override
    public Optional<byte[]> evaluationKeys(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT eval_keys FROM keysets WHERE id = ?")) {
                p.setString(1, keysetId);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.ofNullable(r.getBytes(1)) : Optional.<byte[]>empty();
                }
            }
        });
    }

    @Override
    public int addGalleryBlock(String keysetId, byte[] data, List<String> names) {
        return tx(() -> {
            int block;
            try (PreparedStatement p = db.prepareStatement("SELECT COALESCE(MAX(block) + 1, 0) FROM gallery_blocks WHERE keyset_id = ?")) {
                p.setString(1, keysetId);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    block = r.getInt(1);
                }
            }
            try (PreparedStatement p = db.prepareStatement("INSERT INTO gallery_blocks (keyset_id, block, data, digest) VALUES (?,?,?,?)")) {
                p.setString(1, keysetId);
                p.setInt(2, block);
                p.setBytes(3, data);
                p.setBytes(4, Digests.block(keysetId, block, data));
                p.executeUpdate();
            }
            try (PreparedStatement p = db.prepareStatement("INSERT INTO gallery_names (keyset_id, name, block, slot) VALUES (?,?,?,?)")) {
                for (int i = 0; i < names.size(); i++) {
                    p.setString(1, keysetId);
                    p.setString(2, names.get(i));
                    p.setInt(3, block);
                    p.setInt(4, i);
                    p.addBatch();
                }
                p.executeBatch();
            }
            return block;
        });
    }

    @Override
    public void putGalleryName(String keysetId, int block, byte[] data, String name, int slot) {
        tx(() -> {
            // the slot and the name must be free in the store, not only in the writer's copy of the block (a cluster
            // member that took the block over from a backup may lack a write the failed owner committed)
            try (PreparedStatement p = db.prepareStatement("SELECT name FROM gallery_names WHERE keyset_id = ? AND (name = ? OR (block = ? AND slot = ?))")) {
                p.setString(1, keysetId);
                p.setString(2, name);
                p.setInt(3, block);
                p.setInt(4, slot);
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        throw new StoreException(StoreException.Kind.CONFLICT, r.getString(1).equals(name)
                                ? "'" + name + "' is already stored in the gallery" : "gallery block " + block + " slot " + slot + " is already taken in the store");
                    }
                }
            }
            try (PreparedStatement p = db.prepareStatement("INSERT INTO gallery_blocks (keyset_id, block, data, digest) VALUES (?,?,?,?)"
                    + " ON CONFLICT (keyset_id, block) DO UPDATE SET data = EXCLUDED.data, digest = EXCLUDED.digest")) {
                p.setString(1, keysetId);
                p.setInt(2, block);
                p.setBytes(3, data);
                p.setBytes(4, Digests.block(keysetId, block, data));
                p.executeUpdate();
            }
            try (PreparedStatement p = db.prepareStatement("INSERT INTO gallery_names (keyset_id, name, block, slot) VALUES (?,?,?,?)")) {
                p.setString(1, keysetId);
                p.setString(2, name);
                p.setInt(3, block);
                p.setInt(4, slot);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void removeFromGallery(String keysetId, int block, byte[] data, String name) {
        tx(() -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE gallery_blocks SET data = ?, digest = ? WHERE keyset_id = ? AND block = ?")) {
                p.setBytes(1, data);
                p.setBytes(2, Digests.block(keysetId, block, data));
                p.setString(3, keysetId);
                p.setInt(4, block);
                if (p.executeUpdate() != 1) throw new StoreException(StoreException.Kind.NOT_FOUND, "no gallery block " + block);
            }
            try (PreparedStatement p = db.prepareStatement("DELETE FROM gallery_names WHERE keyset_id = ? AND name = ?")) {
                p.setString(1, keysetId);
                p.setString(2, name);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public List<GalleryBlock> galleryBlocks(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT block, data, digest FROM gallery_blocks WHERE keyset_id = ? ORDER BY block")) {
                p.setString(1, keysetId);
                List<GalleryBlock> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        int block = r.getInt(1);
                        out.add(new GalleryBlock(block, Digests.checkBlock(keysetId, block, r.getBytes(2), r.getBytes(3))));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public Optional<byte[]> galleryBlock(String keysetId, int block) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT data, digest FROM gallery_blocks WHERE keyset_id = ? AND block = ?")) {
                p.setString(1, keysetId);
                p.setInt(2, block);
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) return Optional.<byte[]>empty();
                    return Optional.of(Digests.checkBlock(keysetId, block, r.getBytes(1), r.getBytes(2)));
                }
            }
        });
    }

    @Override
    public void replaceGallery(String keysetId, List<byte[]> blocks, List<List<String>> names) {
        if (blocks.size() != names.size()) throw new IllegalArgumentException("blocks and name lists differ in number");
        tx(() -> {
            for (String table : new String[]{"gallery_names", "gallery_blocks"}) {
                try (PreparedStatement p = db.prepareStatement("DELETE FROM " + table + " WHERE keyset_id = ?")) {
                    p.setString(1, keysetId);
                    p.executeUpdate();
                }
            }
            try (PreparedStatement b = db.prepareStatement("INSERT INTO gallery_blocks (keyset_id, block, data, digest) VALUES (?,?,?,?)");
                 PreparedStatement n = db.prepareStatement("INSERT INTO gallery_names (keyset_id, name, block, slot) VALUES (?,?,?,?)")) {
                for (int i = 0; i < blocks.size(); i++) {
                    b.setString(1, keysetId);
                    b.setInt(2, i);
                    b.setBytes(3, blocks.get(i));
                    b.setBytes(4, Digests.block(keysetId, i, blocks.get(i)));
                    b.executeUpdate();
                    for (int s = 0; s < names.get(i).size(); s++) {
                        n.setString(1, keysetId);
                        n.setString(2, names.get(i).get(s));
                        n.setInt(3, i);
                        n.setInt(4, s);
                        n.addBatch();
                    }
                }
                n.executeBatch();
            }
            return null;
        });
    }

    @Override
    public List<GalleryName> galleryNames(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT name, block, slot FROM gallery_names WHERE keyset_id = ? ORDER BY block, slot")) {
                p.setString(1, keysetId);
                List<GalleryName> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(new GalleryName(r.getString(1), r.getInt(2), r.getInt(3)));
                }
                return out;
            }
        });
    }

    @Override
    public long galleryBytes(String keysetId) {
        return tx(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT COALESCE(SUM(OCTET_LENGTH(data)), 0) FROM gallery_blocks WHERE keyset_id = ?")) {
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
            if (db != null) db.close();
        } catch (SQLException e) {
            log.warn("closing the store: {}", e.getMessage());
        }
    }
}
