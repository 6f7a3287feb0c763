package io.picrypt.store;

import org.junit.jupiter.api.BeforeAll;

import java.sql.DriverManager;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract on a real PostgreSQL: .ci/run installs and starts one with role and database picrypt_test
 * ($PICRYPT_TEST_POSTGRES overrides the URL). Skipped, saying why, when none is reachable.
 */
class PostgresStoreTest extends StoreContract {
    static final String URL = System.getenv().getOrDefault("PICRYPT_TEST_POSTGRES",
            "jdbc:postgresql://127.0.0.1:5432/picrypt_test?user=picrypt_test&password=picrypt_test");

    @BeforeAll
    static void reachable() {
        boolean up;
        try (var c = DriverManager.getConnection(URL)) {
            up = c.isValid(5);
        } catch (Exception e) {
            up = false;
        }
        assumeTrue(up, "no PostgreSQL at " + PostgresStore.redact(URL) + " (.ci/run starts one)");
    }

    @Override
    EnrollmentStore open() { return PostgresStore.open(URL); }

    /** The whole service on PostgreSQL: enroll, verify and identify through a server whose store is this database. */
    @org.junit.jupiter.api.Test
    void serverRunsOnPostgres(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        var cfg = io.picrypt.server.ServerConfig.defaults(tmp, 0).withStoreUrl(URL);
        try (var server = new io.picrypt.server.PiCryptServer(cfg).start()) {
            var url = java.net.URI.create("http://127.0.0.1:" + server.port());
            var ks = io.picrypt.client.PiCryptClient.createKeyset(url, io.picrypt.match.MatchParameters.get().fingerprintHex());
            // with a gallery key: identify runs over the keyset's 1:N gallery (the one identification path)
            var session = io.picrypt.client.GallerySessions.session(new io.picrypt.client.PiCryptClient(url, ks.id(), ks.token()),
                    io.picrypt.match.MatchKeyOwner.generateSecretKey(), null, 1.30);
            var r = new java.util.Random(4);
            float[] a = io.picrypt.match.SyntheticEmbeddings.unit(r), b = io.picrypt.match.SyntheticEmbeddings.unit(r);
            session.enrollEmbedding("ana", a, true);
            session.enrollEmbedding("ben", b, true);
            org.junit.jupiter.api.Assertions.assertTrue(session.verifyEmbedding("ana", io.picrypt.match.SyntheticEmbeddings.near(a, 0.5, r)).match());
            org.junit.jupiter.api.Assertions.assertFalse(session.verifyEmbedding("ben", a).match());
            org.junit.jupiter.api.Assertions.assertEquals("ben", session.identifyEmbedding(io.picrypt.match.SyntheticEmbeddings.near(b, 0.4, r), 1).match().name());
            org.junit.jupiter.api.Assertions.assertTrue(tmp.toFile().list().length == 0, "nothing written to the SQLite data directory");
        }
    }
}
