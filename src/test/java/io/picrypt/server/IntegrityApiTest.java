package io.picrypt.server;

import io.picrypt.ckks.SecretKey;
import io.picrypt.client.ClientException;
import io.picrypt.client.KeyDirectory;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.SyntheticEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 10 through the real HTTP server: corrupted stored rows (templates and gallery blocks) are refused with
 * 409 stored_data_corrupted on verify and identify, never computed on; answers of a keyset bound to another key
 * are refused by the session before decryption; another embedding model is refused by the server.
 */
class IntegrityApiTest {
    @Test
    void corruptedRowsWrongKeysAndOtherModelsAreErrorsNotDecisions(@TempDir Path data) throws Exception {
        SplittableRandom r = new SplittableRandom(9);
        SecretKey sk = MatchKeyOwner.generateSecretKey(), gsk = GalleryKeyOwner.generateSecretKey();
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(data, 0)).start();
             Connection raw = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("picrypt.db"))) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            var ks = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex(), null, KeyDirectory.keyCheck(sk), KeyDirectory.keyCheck(gsk));
            PiCryptClient http = new PiCryptClient(url, ks.id(), ks.token());
            http.uploadGalleryKeys(new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1)).evaluationKeys());
            MatchSession s = new MatchSession(http, sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
            List<float[]> people = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                people.add(SyntheticEmbeddings.unit(r));
                names.add("p" + i);
                s.enrollEmbedding("p" + i, people.get(i), true);
            }
            s.importGallery(List.of("g0", "g1"), List.of(SyntheticEmbeddings.unit(r), SyntheticEmbeddings.unit(r)), d -> {});
            float[] impostor = SyntheticEmbeddings.unit(r);
            assertFalse(s.verifyEmbedding("p2", impostor).match());
            assertTrue(s.verifyEmbedding("p2", SyntheticEmbeddings.near(people.get(2), 0.3, r)).match());
            assertNull(s.identifyEmbedding(impostor, 3).match());

            // the single enrollments above are pending rows the server folds into block 0 in the background once idle
            // (FOLD_IDLE_MS): such a fold landing between a corruption below and the fresh server's load would rewrite
            // block 0 from memory (a race seen once in a full run). A block download folds them now, synchronously.
            http.galleryBlock(0);
            // 24 random corruptions of the stored rows: every one refused with 409, nothing decided
            for (int c = 0; c < 24; c++) {
                boolean block = c % 4 == 3;
                String table = block ? "gallery_blocks" : "templates", column = block ? "data" : "ct";
                String where = block ? "keyset_id = ? AND block = 0" : "keyset_id = ? AND name = 'p2'";
                byte[] orig;
                try (PreparedStatement p = raw.prepareStatement("SELECT " + column + " FROM " + table + " WHERE " + where)) {
                    p.setString(1, ks.id());
                    try (ResultSet rs = p.executeQuery()) {
                        assertTrue(rs.next());
                        orig = rs.getBytes(1);
                    }
                }
                byte[] bad = c % 3 == 0 ? java.util.Arrays.copyOf(orig, r.nextInt(orig.length)) : orig.clone();
                if (c % 3 != 0) for (int k = 0; k <= c % 5; k++) bad[r.nextInt(bad.length)] ^= (byte) (1 + r.nextInt(255));
                update(raw, table, column, where, ks.id(), bad);
                if (block) {
                    // the gallery is held in memory once loaded: a second server process loads it from the corrupted store
                    try (PiCryptServer fresh = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
                        MatchSession f = new MatchSession(new PiCryptClient(URI.create("http://127.0.0.1:" + fresh.port()), ks.id(), ks.token()),
                                sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
                        ClientException e = assertThrows(ClientException.class, () -> f.identifyEmbedding(impostor, 3));
                        assertEquals(409, e.status(), e.getMessage());
                        assertTrue(e.getMessage().contains("re-import"), e.getMessage());
                    }
                } else {
                    // identify computes on the packed templates held in memory (built from digest-checked rows): the
                    // disk corruption cannot reach it until the next load; the decision stays the uncorrupted one
                    assertNull(s.identifyEmbedding(impostor, 3).match());
                    ClientException e = assertThrows(ClientException.class, () -> s.verifyEmbedding("p2", impostor));
                    assertEquals(409, e.status(), e.getMessage());
                    assertTrue(e.getMessage().contains("enroll it again"), e.getMessage());
                }
                update(raw, table, column, where, ks.id(), orig);
            }
            assertNull(s.identifyEmbedding(impostor, 3).match(), "restored rows decide again");

            // a session holding another secret key: refused before decrypting (the keyset's recorded key check)
            MatchSession wrong = new MatchSession(http, MatchKeyOwner.generateSecretKey(), GalleryKeyOwner.generateSecretKey(), io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
            ClientException e = assertThrows(ClientException.class, () -> wrong.verifyEmbedding("p2", impostor));
            assertTrue(e.getMessage().contains("key check"), e.getMessage());
            e = assertThrows(ClientException.class, () -> wrong.identifyEmbedding(impostor, 3));
            assertTrue(e.getMessage().contains("gallery key") && e.getMessage().contains("key check"), e.getMessage());

            // embeddings of another model: bound at the first enrollment, others refused
            http.model("faceplugin-512/512");
            s.enrollEmbedding("p0", people.get(0), true);
            PiCryptClient other = new PiCryptClient(url, ks.id(), ks.token());
            other.model("another-model/128");
            e = assertThrows(ClientException.class, () -> other.verify("p0", new MatchKeyOwner(sk).encryptProbe(impostor)));
            assertEquals(409, e.status());
            assertTrue(e.getMessage().contains("faceplugin-512/512"), e.getMessage());
            assertEquals(409, assertThrows(ClientException.class, () -> other.enroll("p9", new MatchKeyOwner(sk).encryptTemplate(impostor), true)).status());
            assertEquals("faceplugin-512/512", http.keysetInfo().path("model").asText());
        }
    }

    static void update(Connection raw, String table, String column, String where, String ks, byte[] bytes) throws Exception {
        try (PreparedStatement p = raw.prepareStatement("UPDATE " + table + " SET " + column + " = ? WHERE " + where)) {
            p.setBytes(1, bytes);
            p.setString(2, ks);
            assertEquals(1, p.executeUpdate());
        }
    }
}
