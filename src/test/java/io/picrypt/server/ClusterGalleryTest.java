package io.picrypt.server;

import io.picrypt.ckks.SecretKey;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.SyntheticEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Three cluster members in one JVM (each a PiCryptServer with its own Hazelcast member and its own connection to one
 * PostgreSQL): writes on one member, identify on another covers everyone and equals plaintext; a member leaving loses
 * nothing (one backup); a full restart reloads the blocks from the store; SQLite is refused.
 */
class ClusterGalleryTest {
    static final String URL = System.getenv().getOrDefault("PICRYPT_TEST_POSTGRES",
            "jdbc:postgresql://127.0.0.1:5432/picrypt_test?user=picrypt_test&password=picrypt_test");

    @TempDir
    Path tmp;

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aClusterOnSqliteIsRefused() throws Exception {
        var settings = new ClusterGalleryService.Settings("t", List.of("127.0.0.1:" + freePort()), "127.0.0.1", freePort());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PiCryptServer.open(ServerConfig.defaults(tmp, 0), settings));
        assertTrue(e.getMessage().contains("PostgreSQL"), e.getMessage());
    }

    @Test
    void threeMembersAnswerForEveryoneAndSurviveALeaveAndARestart() throws Exception {
        boolean up;
        try (var c = DriverManager.getConnection(URL)) {
            up = c.isValid(5);
        } catch (Exception e) {
            up = false;
        }
        assumeTrue(up, "no PostgreSQL (.ci/run starts one)");
        int[] ports = {freePort(), freePort(), freePort()};
        List<String> members = new ArrayList<>();
        for (int p : ports) members.add("127.0.0.1:" + p);
        String name = "picrypt-test-" + Long.toHexString(new Random().nextLong());
        List<PiCryptServer> servers = new ArrayList<>();
        Random r = new Random(14);
        SecretKey sk = MatchKeyOwner.generateSecretKey(), gsk = GalleryKeyOwner.generateSecretKey();
        List<float[]> people = new ArrayList<>();
        List<String> names = new ArrayList<>();
        PiCryptClient.Keyset ks;
        try {
            for (int p : ports) {
                servers.add(PiCryptServer.open(ServerConfig.defaults(tmp, 0).withStoreUrl(URL),
                        new ClusterGalleryService.Settings(name, members, "127.0.0.1", p)).start());
            }
            ks = PiCryptClient.createKeyset(url(servers.get(0)), MatchParameters.get().fingerprintHex());
            MatchSession a = session(servers.get(0), ks, sk, gsk), b = session(servers.get(1), ks, sk, gsk), c = session(servers.get(2), ks, sk, gsk);
            new PiCryptClient(url(servers.get(0)), ks.id(), ks.token()).uploadGalleryKeys(new GalleryKeyOwner(gsk).evaluationKeys());
            // six imports = six blocks, spread over the members
            for (int blk = 0; blk < 6; blk++) {
                List<String> n = new ArrayList<>();
                List<float[]> v = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    n.add("p" + blk + "-" + i);
                    v.add(SyntheticEmbeddings.unit(r));
                }
                names.addAll(n);
                people.addAll(v);
                (blk % 2 == 0 ? a : b).importGallery(n, v, d -> {});
            }
            float[] late = SyntheticEmbeddings.unit(r);
            b.enrollEmbedding("late", late, true); // template + gallery, through member B
            names.add("late");
            people.add(late);

            for (int k : new int[]{0, 8, 17, 18}) {
                float[] probe = SyntheticEmbeddings.near(people.get(k), 0.9, r);
                MatchSession.Identification id = c.identifyEmbedding(probe, 1);
                assertEquals(19, id.identities(), "the answer on member C covers everyone");
                assertEquals(names.get(k), id.match().name());
                assertEquals(SyntheticEmbeddings.squaredDistance(people.get(k), probe), id.best().distance(), 1e-3);
            }
            // a deletion on C is seen by A at once
            assertTrue(new PiCryptClient(url(servers.get(2)), ks.id(), ks.token()).deleteFromGallery("p1-1"));
            assertEquals(18, a.identifyEmbedding(people.get(4), 1).identities());
            assertNull(a.identifyEmbedding(people.get(4), 1).ranked().stream().filter(x -> x.name().equals("p1-1")).findAny().orElse(null));

            // member B leaves: every block has a backup, the answer on A stays complete
            servers.remove(1).close();
            MatchSession.Identification after = a.identifyEmbedding(SyntheticEmbeddings.near(people.get(10), 0.9, r), 1);
            assertEquals(18, after.identities());
            assertEquals(names.get(10), after.match().name());
        } finally {
            for (PiCryptServer s : servers) s.close();
            servers.clear();
        }
        // full restart: one member reloads every block from PostgreSQL
        try (PiCryptServer again = PiCryptServer.open(ServerConfig.defaults(tmp, 0).withStoreUrl(URL),
                new ClusterGalleryService.Settings(name, members, "127.0.0.1", ports[0])).start()) {
            MatchSession s = session(again, ks, sk, gsk);
            MatchSession.Identification id = s.identifyEmbedding(SyntheticEmbeddings.near(people.get(18), 0.9, r), 1);
            assertEquals(18, id.identities());
            assertEquals("late", id.match().name());
            new PiCryptClient(url(again), ks.id(), ks.token()).deleteKeyset();
        }
    }

    /**
     * Issue 11 gap: the cluster's gallery asks the keyset quota before it adds a block, like the local one (507, nothing
     * stored): an import beyond maxGalleryBlocks, and an enrollment that would open a block beyond it.
     */
    @Test
    void theClusterGalleryAsksTheKeysetQuotaBeforeAddingABlock() throws Exception {
        boolean up;
        try (var c = DriverManager.getConnection(URL)) {
            up = c.isValid(5);
        } catch (Exception e) {
            up = false;
        }
        assumeTrue(up, "no PostgreSQL (.ci/run starts one)");
        int port = freePort();
        String name = "picrypt-quota-" + Long.toHexString(new Random().nextLong());
        Random r = new Random(15);
        SecretKey sk = MatchKeyOwner.generateSecretKey(), gsk = GalleryKeyOwner.generateSecretKey();
        byte[] keys = new GalleryKeyOwner(gsk).evaluationKeys();
        try (PiCryptServer server = PiCryptServer.open(ServerConfig.defaults(tmp, 0).withStoreUrl(URL).withLimits(Limits.parse("maxGalleryBlocks=1")),
                new ClusterGalleryService.Settings(name, List.of("127.0.0.1:" + port), "127.0.0.1", port)).start()) {
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url(server), MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url(server), ks.id(), ks.token());
            http.uploadGalleryKeys(keys);
            MatchSession s = session(server, ks, sk, gsk);
            float[] a = SyntheticEmbeddings.unit(r), b = SyntheticEmbeddings.unit(r), c = SyntheticEmbeddings.unit(r);
            s.importGallery(List.of("a"), List.of(a), d -> {});
            io.picrypt.client.ClientException over = assertThrows(io.picrypt.client.ClientException.class,
                    () -> s.importGallery(List.of("b"), List.of(b), d -> {}));
            assertEquals(507, over.status(), over.getMessage());
            assertTrue(over.getMessage().contains("maximum of 1 blocks"), over.getMessage());
            assertEquals(1, http.galleryInfo().path("identities").asInt(), "nothing of the refused import was stored");
            s.enrollIntoGallery("c", c); // the one block has free slots: no new block, admitted
            assertEquals(2, http.galleryInfo().path("identities").asInt());
            assertEquals(1, http.galleryInfo().path("blocks").asInt());
            assertEquals("c", s.identifyEmbedding(c, 1).match().name());
            http.deleteKeyset();

        }
        // enrollment opening a new block: a fresh keyset on a server whose quota admits no block at all
        try (PiCryptServer server = PiCryptServer.open(ServerConfig.defaults(tmp, 0).withStoreUrl(URL).withLimits(Limits.parse("maxGalleryBlocks=0")),
                new ClusterGalleryService.Settings(name, List.of("127.0.0.1:" + port), "127.0.0.1", port)).start()) {
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url(server), MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url(server), ks.id(), ks.token());
            http.uploadGalleryKeys(keys);
            MatchSession s = session(server, ks, sk, gsk);
            io.picrypt.client.ClientException e = assertThrows(io.picrypt.client.ClientException.class, () -> s.enrollIntoGallery("z", SyntheticEmbeddings.unit(r)));
            assertEquals(507, e.status(), e.getMessage());
            assertEquals(0, http.galleryInfo().path("identities").asInt(), "the refused enrollment stored nothing");
            assertEquals(0, http.galleryInfo().path("blocks").asInt());
            http.deleteKeyset();
        }
    }

    private static URI url(PiCryptServer s) {
        return URI.create("http://127.0.0.1:" + s.port());
    }

    private static MatchSession session(PiCryptServer s, PiCryptClient.Keyset ks, SecretKey sk, SecretKey gsk) {
        return new MatchSession(new PiCryptClient(url(s), ks.id(), ks.token()), sk, gsk, null, 1.30);
    }
}
