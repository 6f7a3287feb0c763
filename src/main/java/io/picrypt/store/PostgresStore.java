package io.picrypt.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The same store on PostgreSQL (e.g. {@code jdbc:postgresql://db:5432/picrypt?user=picrypt&password=...}), for
 * servers whose data should live in a managed database. Commits are durable with PostgreSQL's default
 * {@code synchronous_commit=on}.
 */
public final class PostgresStore extends JdbcStore {
    private static final Logger log = LoggerFactory.getLogger(PostgresStore.class);

    private final String url;

    private PostgresStore(Connection db, String url) {
        super(db);
        this.url = url;
    }

    /** A new connection after a failure (the server restarted, the disk filled, the network dropped). */
    @Override
    protected Connection reopen() throws SQLException {
        Connection c = DriverManager.getConnection(url);
        c.setAutoCommit(false);
        return c;
    }

    public static PostgresStore open(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) throw new IllegalArgumentException("not a PostgreSQL JDBC URL: " + redact(jdbcUrl));
        try {
            Connection c = DriverManager.getConnection(jdbcUrl);
            c.setAutoCommit(false);
            createSchema(c, "BYTEA", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
            c.commit();
            log.info("enrollment store: {}", redact(jdbcUrl));
            return new PostgresStore(c, jdbcUrl);
        } catch (SQLException e) {
            throw new StoreException("cannot open the PostgreSQL store at " + redact(jdbcUrl) + ": " + e.getMessage(), e);
        }
    }

    /** The URL without its password, for messages and logs. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
