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
            // putGalleryName's check that a slot is free, and galleryNames' order, without scanning a keyset's names
            s.execute("CREATE INDEX IF NOT EXISTS gallery_names_by_slot ON gallery_names(keyset_id, block, slot)");
            // single enrollments not yet folded into their block's bytes (GalleryStore.putGalleryEnrollment): a few hundred
            // KB per enrollment instead of rewriting the block's ~15 MB; the block's bytes plus these are the block
            s.execute("CREATE TABLE IF NOT EXISTS gallery_pending (keyset_id TEXT NOT NULL REFERENCES keysets(id) ON DELETE CASCADE,"
                    + " block INTEGER NOT NULL, slot INTEGER NOT NULL, enrollment " + blob + " NOT NULL, digest " + blob + " NOT NULL,"
                    + " PRIMARY KEY (keyset_id, block, slot))");
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

    // ------------------------------------------------------------------ statements (inside a tx)

    private interface Row<T> { T map(ResultSet r) throws SQLException; }

    /** Binds {@code args} to the statement's parameters in order: String (or null), Integer, Long or byte[]. */
    private static void bind(PreparedStatement p, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null || a instanceof String) p.setString(i + 1, (String) a);
            else if (a instanceof Integer v) p.setInt(i + 1, v);
            else if (a instanceof Long v) p.setLong(i + 1, v);
            else if (a instanceof byte[] v) p.setBytes(i + 1, v);
            else throw new IllegalArgumentException("no SQL binding for " + a.getClass().getName());
        }
    }

    /** Runs an INSERT, UPDATE or DELETE; the rows it changed. */
    private int update(String sql, Object... args) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            bind(p, args);
            return p.executeUpdate();
        }
    }

    /** Every row of a query, mapped in order. */
    private <T> List<T> list(String sql, Row<T> row, Object... args) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            bind(p, args);
            List<T> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) out.add(row.map(r));
            }
            return out;
        }
    }

    /** The first row of a query, mapped; empty when there is none (or it maps to null). */
    private <T> Optional<T> first(String sql, Row<T> row, Object... args) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            bind(p, args);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.ofNullable(row.map(r)) : Optional.empty();
            }
        }
    }

    /** The single number an aggregate query (COUNT, SUM, MAX) answers. */
    private long number(String sql, Object... args) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            bind(p, args);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private static final String INSERT_BLOCK = "INSERT INTO gallery_blocks (keyset_id, block, data, digest) VALUES (?,?,?,?)";

    private void insertBlock(String keysetId, int block, byte[] data, String onConflict) throws SQLException {
        update(INSERT_BLOCK + onConflict, keysetId, block, data, Digests.block(keysetId, block, data));
    }

    /** Names of consecutive blocks from {@code firstBlock}, slot = position in its list; one batch. */
    private void insertNames(String keysetId, int firstBlock, List<List<String>> names) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("INSERT INTO gallery_names (keyset_id, name, block, slot) VALUES (?,?,?,?)")) {
            for (int b = 0; b < names.size(); b++) {
                for (int s = 0; s < names.get(b).size(); s++) {
                    bind(p, keysetId, names.get(b).get(s), firstBlock + b, s);
                    p.addBatch();
                }
            }
            p.executeBatch();
        }
    }

    /** Names per look-up of {@link #refuseStoredNames} (below SQLite's and PostgreSQL's bound-parameter limits). */
    private static final int NAMES_PER_LOOKUP = 256;

    /**
     * CONFLICT naming the first of {@code names} the keyset's gallery already holds: through the (keyset_id, name)
     * primary key, a few index look-ups per name, however large the gallery (the caller need not hold its names).
     */
    private void refuseStoredNames(String keysetId, List<String> names) throws SQLException {
        for (int from = 0; from < names.size(); from += NAMES_PER_LOOKUP) {
            List<String> chunk = names.subList(from, Math.min(names.size(), from + NAMES_PER_LOOKUP));
            Object[] args = new Object[chunk.size() + 1];
            args[0] = keysetId;
            for (int i = 0; i < chunk.size(); i++) args[i + 1] = chunk.get(i);
            Optional<String> taken = first("SELECT name FROM gallery_names WHERE keyset_id = ? AND name IN ("
                    + String.join(",", java.util.Collections.nCopies(chunk.size(), "?")) + ") LIMIT 1", r -> r.getString(1), args);
            if (taken.isPresent()) throw new StoreException(StoreException.Kind.CONFLICT, "'" + taken.get() + "' is already in the gallery");
        }
    }

    private void deleteGallery(String keysetId) throws SQLException {
        for (String table : new String[]{"gallery_pending", "gallery_names", "gallery_blocks"}) update("DELETE FROM " + table + " WHERE keyset_id = ?", keysetId);
    }

    // ------------------------------------------------------------------ keysets and templates

    @Override
    public void createKeyset(Keyset k) {
        tx(() -> update("INSERT INTO keysets (id, token_hash, params, created, key_check, gallery_key_check, model) VALUES (?,?,?,?,?,?,?)",
                k.id(), k.tokenHash(), k.paramsFingerprint(), k.created().toEpochMilli(), k.keyCheck(), k.galleryKeyCheck(), k.model()));
    }

    @Override
    public Optional<Keyset> keyset(String id) {
        return tx(() -> first("SELECT token_hash, params, created, key_check, gallery_key_check, model FROM keysets WHERE id = ?",
                r -> new Keyset(id, r.getBytes(1), r.getString(2), Instant.ofEpochMilli(r.getLong(3)), r.getString(4), r.getString(5), r.getString(6)),
                id));
    }

    @Override
    public boolean deleteKeyset(String id) {
        boolean deleted = tx(() -> {
            deleteGallery(id);
            update("DELETE FROM templates WHERE keyset_id = ?", id);
            return update("DELETE FROM keysets WHERE id = ?", id) > 0;
        });
        bump(id);
        return deleted;
    }

    @Override
    public int putTemplate(String keysetId, String name, byte[] ciphertext, boolean replace, int maxTemplates) {
        int count = tx(() -> {
            if (replace) update("DELETE FROM templates WHERE keyset_id = ? AND name = ?", keysetId, name);
            int existing = (int) number("SELECT COUNT(*) FROM templates WHERE keyset_id = ? AND name = ?", keysetId, name);
            if (existing >= maxTemplates) throw new StoreException(StoreException.Kind.LIMIT, "'" + name + "' already has " + existing + " templates (limit " + maxTemplates + ")");
            update("INSERT INTO templates (keyset_id, name, ct, created, digest) VALUES (?,?,?,?,?)",
                    keysetId, name, ciphertext, System.currentTimeMillis(), Digests.template(keysetId, name, ciphertext));
            return existing + 1;
        });
        bump(keysetId);
        return count;
    }

    @Override
    public List<byte[]> templates(String keysetId, String name) {
        return tx(() -> list("SELECT ct, digest FROM templates WHERE keyset_id = ? AND name = ? ORDER BY seq",
                r -> Digests.checkTemplate(keysetId, name, r.getBytes(1), r.getBytes(2)), keysetId, name));
    }

    @Override
    public List<Template> allTemplates(String keysetId) {
        return tx(() -> list("SELECT name, ct, digest FROM templates WHERE keyset_id = ? ORDER BY name, seq", r -> {
            String name = r.getString(1);
            return new Template(name, Digests.checkTemplate(keysetId, name, r.getBytes(2), r.getBytes(3)));
        }, keysetId));
    }

    @Override
    public List<IdentitySummary> list(String keysetId) {
        return tx(() -> list("SELECT name, COUNT(*), MAX(created) FROM templates WHERE keyset_id = ? GROUP BY name ORDER BY name",
                r -> new IdentitySummary(r.getString(1), r.getInt(2), Instant.ofEpochMilli(r.getLong(3))), keysetId));
    }

    @Override
    public boolean deleteIdentity(String keysetId, String name) {
        boolean deleted = tx(() -> update("DELETE FROM templates WHERE keyset_id = ? AND name = ?", keysetId, name) > 0);
        if (deleted) bump(keysetId);
        return deleted;
    }

    @Override
    public int identityCount(String keysetId) {
        return tx(() -> (int) number("SELECT COUNT(DISTINCT name) FROM templates WHERE keyset_id = ?", keysetId));
    }

    @Override
    public long generation(String keysetId) {
        AtomicLong g = generations.get(keysetId);
        return g == null ? 0 : g.get();
    }

    @Override
    public long storedBytes(String keysetId) {
        return tx(() -> number("SELECT COALESCE(SUM(OCTET_LENGTH(ct)), 0) FROM templates WHERE keyset_id = ?", keysetId));
    }

    @Override
    public String bindModel(String keysetId, String model) {
        return tx(() -> {
            update("UPDATE keysets SET model = ? WHERE id = ? AND model IS NULL", model, keysetId);
            List<String> bound = list("SELECT model FROM keysets WHERE id = ?", r -> r.getString(1), keysetId);
            if (bound.isEmpty()) throw new StoreException(StoreException.Kind.NOT_FOUND, "no keyset " + keysetId);
            return bound.get(0);
        });
    }

    @Override
    public void setEvaluationKeys(String keysetId, byte[] keys) {
        tx(() -> {
            if (update("UPDATE keysets SET eval_keys = ? WHERE id = ?", keys, keysetId) != 1) {
                throw new StoreException(StoreException.Kind.NOT_FOUND, "no keyset " + keysetId);
            }
            return null;
        });
    }

    @Override
    public Optional<byte[]> evaluationKeys(String keysetId) {
        return tx(() -> first("SELECT eval_keys FROM keysets WHERE id = ?", r -> r.getBytes(1), keysetId));
    }

    @Override
    public boolean hasEvaluationKeys(String keysetId) {
        return tx(() -> first("SELECT 1 FROM keysets WHERE id = ? AND eval_keys IS NOT NULL", r -> Boolean.TRUE, keysetId)).isPresent();
    }

    // ------------------------------------------------------------------ gallery

    @Override
    public int addGalleryBlock(String keysetId, byte[] data, List<String> names) {
        return tx(() -> {
            refuseStoredNames(keysetId, names);
            int block = (int) number("SELECT COALESCE(MAX(block) + 1, 0) FROM gallery_blocks WHERE keyset_id = ?", keysetId);
            insertBlock(keysetId, block, data, "");
            insertNames(keysetId, block, List.of(names));
            return block;
        });
    }

    /** CONFLICT when the keyset's gallery already holds {@code name} or the slot (inside the caller's transaction). */
    private void refuseTakenNameOrSlot(String keysetId, String name, int block, int slot) throws java.sql.SQLException {
        Optional<String> taken = first("SELECT name FROM gallery_names WHERE keyset_id = ? AND (name = ? OR (block = ? AND slot = ?))",
                r -> r.getString(1), keysetId, name, block, slot);
        if (taken.isPresent()) {
            throw new StoreException(StoreException.Kind.CONFLICT, taken.get().equals(name)
                    ? "'" + name + "' is already stored in the gallery" : "gallery block " + block + " slot " + slot + " is already taken in the store");
        }
    }

    @Override
    public void putGalleryName(String keysetId, int block, byte[] data, String name, int slot) {
        tx(() -> {
            // the slot and the name must be free in the store, not only in the writer's copy of the block (a cluster
            // member that took the block over from a backup may lack a write the failed owner committed)
            refuseTakenNameOrSlot(keysetId, name, block, slot);
            insertBlock(keysetId, block, data, " ON CONFLICT (keyset_id, block) DO UPDATE SET data = EXCLUDED.data, digest = EXCLUDED.digest");
            update("DELETE FROM gallery_pending WHERE keyset_id = ? AND block = ?", keysetId, block); // data holds them
            update("INSERT INTO gallery_names (keyset_id, name, block, slot) VALUES (?,?,?,?)", keysetId, name, block, slot);
            return null;
        });
    }

    @Override
    public void putGalleryEnrollment(String keysetId, int block, byte[] newBlock, String name, int slot, byte[] enrollment) {
        tx(() -> {
            refuseTakenNameOrSlot(keysetId, name, block, slot);
            if (newBlock != null) {
                insertBlock(keysetId, block, newBlock, "");
            } else if (number("SELECT COUNT(*) FROM gallery_blocks WHERE keyset_id = ? AND block = ?", keysetId, block) != 1) {
                throw new StoreException(StoreException.Kind.NOT_FOUND, "no gallery block " + block);
            }
            update("INSERT INTO gallery_pending (keyset_id, block, slot, enrollment, digest) VALUES (?,?,?,?,?)",
                    keysetId, block, slot, enrollment, Digests.pending(keysetId, block, slot, enrollment));
            update("INSERT INTO gallery_names (keyset_id, name, block, slot) VALUES (?,?,?,?)", keysetId, name, block, slot);
            return null;
        });
    }

    @Override
    public List<PendingEnrollment> pendingEnrollments(String keysetId) {
        return tx(() -> list("SELECT block, slot, enrollment, digest FROM gallery_pending WHERE keyset_id = ? ORDER BY block, slot", r -> {
            int block = r.getInt(1), slot = r.getInt(2);
            return new PendingEnrollment(block, slot, Digests.checkPending(keysetId, block, slot, r.getBytes(3), r.getBytes(4)));
        }, keysetId));
    }

    @Override
    public void foldGalleryBlock(String keysetId, int block, byte[] data, List<Integer> slots) {
        tx(() -> {
            if (update("UPDATE gallery_blocks SET data = ?, digest = ? WHERE keyset_id = ? AND block = ?",
                    data, Digests.block(keysetId, block, data), keysetId, block) != 1) {
                throw new StoreException(StoreException.Kind.NOT_FOUND, "no gallery block " + block);
            }
            for (int slot : slots) {
                if (update("DELETE FROM gallery_pending WHERE keyset_id = ? AND block = ? AND slot = ?", keysetId, block, slot) != 1) {
                    throw new StoreException(StoreException.Kind.CONFLICT, "no pending enrollment at gallery block " + block + " slot " + slot);
                }
            }
            return null;
        });
    }

    @Override
    public void removeFromGallery(String keysetId, int block, byte[] data, String name) {
        tx(() -> {
            if (update("UPDATE gallery_blocks SET data = ?, digest = ? WHERE keyset_id = ? AND block = ?",
                    data, Digests.block(keysetId, block, data), keysetId, block) != 1) {
                throw new StoreException(StoreException.Kind.NOT_FOUND, "no gallery block " + block);
            }
            update("DELETE FROM gallery_pending WHERE keyset_id = ? AND block = ?", keysetId, block); // data holds them
            update("DELETE FROM gallery_names WHERE keyset_id = ? AND name = ?", keysetId, name);
            return null;
        });
    }

    @Override
    public List<GalleryBlock> galleryBlocks(String keysetId) {
        return tx(() -> list("SELECT block, data, digest FROM gallery_blocks WHERE keyset_id = ? ORDER BY block", r -> {
            int block = r.getInt(1);
            return new GalleryBlock(block, Digests.checkBlock(keysetId, block, r.getBytes(2), r.getBytes(3)));
        }, keysetId));
    }

    @Override
    public Optional<byte[]> galleryBlock(String keysetId, int block) {
        return tx(() -> first("SELECT data, digest FROM gallery_blocks WHERE keyset_id = ? AND block = ?",
                r -> Digests.checkBlock(keysetId, block, r.getBytes(1), r.getBytes(2)), keysetId, block));
    }

    @Override
    public void replaceGallery(String keysetId, List<byte[]> blocks, List<List<String>> names) {
        if (blocks.size() != names.size()) throw new IllegalArgumentException("blocks and name lists differ in number");
        tx(() -> {
            deleteGallery(keysetId);
            for (int i = 0; i < blocks.size(); i++) insertBlock(keysetId, i, blocks.get(i), "");
            insertNames(keysetId, 0, names);
            return null;
        });
    }

    @Override
    public void dropGallery(String keysetId) {
        tx(() -> {
            deleteGallery(keysetId);
            return null;
        });
    }

    /** SUBSTR on a binary column gives bytes in both SQLite (BLOB) and PostgreSQL (bytea): only the headers cross the connection. */
    @Override
    public List<byte[]> galleryBlockHeaders(String keysetId, int bytes) {
        if (bytes < 1) throw new IllegalArgumentException("header bytes " + bytes);
        return tx(() -> list("SELECT SUBSTR(data, 1, ?) FROM gallery_blocks WHERE keyset_id = ? ORDER BY block", r -> r.getBytes(1), bytes, keysetId));
    }

    @Override
    public List<GalleryName> galleryNames(String keysetId) {
        return tx(() -> list("SELECT name, block, slot FROM gallery_names WHERE keyset_id = ? ORDER BY block, slot",
                r -> new GalleryName(r.getString(1), r.getInt(2), r.getInt(3)), keysetId));
    }

    @Override
    public GallerySize gallerySize(String keysetId) {
        return tx(() -> new GallerySize((int) number("SELECT COUNT(*) FROM gallery_blocks WHERE keyset_id = ?", keysetId),
                (int) number("SELECT COUNT(*) FROM gallery_names WHERE keyset_id = ?", keysetId)));
    }

    @Override
    public long galleryBytes(String keysetId) {
        return tx(() -> number("SELECT COALESCE(SUM(OCTET_LENGTH(data)), 0) FROM gallery_blocks WHERE keyset_id = ?", keysetId)
                + number("SELECT COALESCE(SUM(OCTET_LENGTH(enrollment)), 0) FROM gallery_pending WHERE keyset_id = ?", keysetId));
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
