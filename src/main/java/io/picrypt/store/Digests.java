package io.picrypt.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * SHA-256 digests of stored ciphertexts, bound to where they belong: template digest =
 * SHA-256("PiCrypt template v1" 0 keyset 0 name 0 | bytes), block digest = SHA-256("PiCrypt gallery block v1" 0
 * keyset 0 block 0 | bytes), pending enrollment digest = SHA-256("PiCrypt gallery enrollment v1" 0 keyset 0
 * block ":" slot 0 | bytes). A flipped bit, a truncation, or bytes moved to another name, block or keyset no
 * longer match (collision resistance of SHA-256), and the server refuses to compute on them.
 */
final class Digests {
    private static final Logger log = LoggerFactory.getLogger(Digests.class);

    private Digests() {}

    static byte[] template(String keysetId, String name, byte[] ct) {
        return digest("PiCrypt template v1", keysetId, name, ct);
    }

    static byte[] block(String keysetId, int block, byte[] data) {
        return digest("PiCrypt gallery block v1", keysetId, Integer.toString(block), data);
    }

    /** Digest of a pending gallery enrollment, bound to its keyset, block and slot. */
    static byte[] pending(String keysetId, int block, int slot, byte[] enrollment) {
        return digest("PiCrypt gallery enrollment v1", keysetId, block + ":" + slot, enrollment);
    }

    static byte[] checkPending(String keysetId, int block, int slot, byte[] enrollment, byte[] recorded) {
        if (enrollment == null || recorded == null || !MessageDigest.isEqual(pending(keysetId, block, slot, enrollment), recorded)) {
            throw new CorruptedDataException("the pending enrollment at gallery block " + block + " slot " + slot + " no longer matches the digest"
                    + " recorded when it was written (disk corruption or a row changed outside the server); nothing was computed on it");
        }
        return enrollment;
    }

    static byte[] checkTemplate(String keysetId, String name, byte[] ct, byte[] recorded) {
        if (ct == null || recorded == null || !MessageDigest.isEqual(template(keysetId, name, ct), recorded)) {
            throw new CorruptedDataException("a stored template of '" + name + "' no longer matches the digest recorded when it was "
                    + "enrolled (disk corruption or a row changed outside the server); nothing was computed on it: delete the name and enroll it again");
        }
        return ct;
    }

    static byte[] checkBlock(String keysetId, int block, byte[] data, byte[] recorded) {
        if (data == null || recorded == null || !MessageDigest.isEqual(block(keysetId, block, data), recorded)) {
            throw new CorruptedDataException("gallery block " + block + " no longer matches the digest recorded when it was written "
                    + "(disk corruption or a row changed outside the server); nothing was computed on it: re-import the gallery");
        }
        return data;
    }

    private static byte[] digest(String domain, String keysetId, String where, byte[] bytes) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((domain + '\0' + keysetId + '\0' + where + '\0').getBytes(StandardCharsets.UTF_8));
            md.update(bytes);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /**
     * Adds the integrity columns to a store created before them and records digests of the rows that have none:
     * trust on first use, logged (those bytes were not checked when written, so damage from before the upgrade
     * cannot be told apart; the client's range checks still apply to them).
     */
    static void migrate(Connection c, String blob) throws SQLException {
        addColumn(c, "keysets", "key_check", "TEXT");
        addColumn(c, "keysets", "gallery_key_check", "TEXT");
        addColumn(c, "keysets", "model", "TEXT");
        addColumn(c, "templates", "digest", blob);
        addColumn(c, "gallery_blocks", "digest", blob);
        int templates = backfill(c, "SELECT seq, keyset_id, name, ct FROM templates WHERE digest IS NULL",
                "UPDATE templates SET digest = ? WHERE seq = ?", (r, u) -> {
                    u.setBytes(1, template(r.getString(2), r.getString(3), r.getBytes(4)));
                    u.setLong(2, r.getLong(1));
                });
        int blocks = backfill(c, "SELECT keyset_id, block, data FROM gallery_blocks WHERE digest IS NULL",
                "UPDATE gallery_blocks SET digest = ? WHERE keyset_id = ? AND block = ?", (r, u) -> {
                    u.setBytes(1, block(r.getString(1), r.getInt(2), r.getBytes(3)));
                    u.setString(2, r.getString(1));
                    u.setInt(3, r.getInt(2));
                });
        if (templates + blocks > 0) {
            log.warn("store upgrade: recorded digests of {} templates and {} gallery blocks written before digests existed (trusted as they are now)",
                    templates, blocks);
        }
    }

    private interface Fill { void bind(ResultSet row, PreparedStatement update) throws SQLException; }

    /** Runs {@code update} once per row of {@code select}, its parameters bound by {@code fill}; the number of rows. */
    private static int backfill(Connection c, String select, String update, Fill fill) throws SQLException {
        int rows = 0;
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery(select);
             PreparedStatement u = c.prepareStatement(update)) {
            while (r.next()) {
                fill.bind(r, u);
                u.executeUpdate();
                rows++;
            }
        }
        return rows;
    }

    private static void addColumn(Connection c, String table, String column, String type) throws SQLException {
        boolean exists;
        try (ResultSet r = c.getMetaData().getColumns(null, null, table, null)) {
            exists = false;
            while (r.next()) if (column.equalsIgnoreCase(r.getString("COLUMN_NAME"))) exists = true;
        }
        if (!exists) {
            try (Statement s = c.createStatement()) {
                s.execute("ALTER TABLE " + table + " ADD COLUMN " + column + " " + type);
            }
        }
    }
}
