package io.picrypt.server;

import io.picrypt.match.BatchFrames;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.SecretKey;
import io.picrypt.client.ClientException;
import io.picrypt.client.GallerySessions;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.GalleryCompaction;
import io.picrypt.match.GalleryEvaluator;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryProjection;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.OutdatedGalleryException;
import io.picrypt.match.SyntheticEmbeddings;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.GalleryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A store written by the version before the 256-dimensional gallery: its blocks are "PCGS" v1 (2048 identities of 512
 * dimensions, PACK 4) and its pending single enrollments are of that layout too. Faked here by writing such a block (and
 * a pending row) through the store, as the old server did. Every gallery route but info and the drop answers 409
 * {@code gallery_outdated} and computes nothing (the store is left as it was: nothing replayed or folded); DELETE
 * .../gallery drops it; {@code gallery rebuild} migrates it from the 1:1 templates. On SQLite, and on PostgreSQL with a
 * one-member cluster when one is reachable ($PICRYPT_TEST_POSTGRES).
 */
public class GalleryLayoutMigrationTest {
    static final String PG = System.getenv().getOrDefault("PICRYPT_TEST_POSTGRES",
            "jdbc:postgresql://127.0.0.1:5432/picrypt_test?user=picrypt_test&password=picrypt_test");
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The gallery basis: the first 256 coordinates. Test embeddings live in its span ({@link #person}), so a face's 1:1
     * (512-d) and gallery (256-d) distances agree, as for a model's own embeddings under its basis.
     */
    private static final GalleryProjection PROJECTION;

    static {
        float[][] rows = new float[GalleryParameters.DIMENSION][MatchParameters.DIMENSION];
        for (int i = 0; i < rows.length; i++) rows[i][i] = 1;
        PROJECTION = GalleryProjection.of(rows, new byte[32], 0);
    }

    /** A model embedding (512 values) in the basis' span: a random unit gallery vector, zero beyond it. */
    static float[] person(Random r) {
        return lift(SyntheticEmbeddings.unit(r, GalleryParameters.DIMENSION));
    }

    /** A face of {@code v} at squared distance {@code d2}, in the basis' span too. */
    static float[] near(float[] v, double d2, Random r) {
        return lift(SyntheticEmbeddings.near(java.util.Arrays.copyOf(v, GalleryParameters.DIMENSION), d2, r));
    }

    private static float[] lift(float[] g) {
        return java.util.Arrays.copyOf(g, MatchParameters.DIMENSION);
    }

    @TempDir
    Path data;

    private final HttpClient raw = HttpClient.newHttpClient();

    /** The stored frame of the previous version: "PCGS" v1 | 2048 slot states | 128 columns (old positions; real ciphertexts). */
    static byte[] legacyBlock(int live) {
        GalleryEvaluator ev = new GalleryEvaluator(GallerySessions.evaluationKeys());
        Random r = new Random(5);
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < live; i++) vectors.add(SyntheticEmbeddings.unit(r, GalleryParameters.DIMENSION));
        GalleryEvaluator.Block b = ev.importBlock(new GalleryKeyOwner(GallerySessions.key()).encryptBlock(vectors));
        byte[] slots = new byte[2048];
        for (int i = 0; i < live; i++) slots[i] = 1;
        List<byte[]> cols = new ArrayList<>();
        for (int j = 0; j < GalleryParameters.COLUMNS; j++) cols.add(b.columnBytes(j));
        return new FrameWriter("PCGS", 1).bytes(slots).blobs(cols).toByteArray();
    }

    /**
     * Replaces the keyset's gallery by what the previous version left: one v1 block holding {@code names} and a pending
     * single enrollment (a well-formed ciphertext, which a replay would accept) under {@code pendingName}.
     */
    static void writeLegacyGallery(EnrollmentStore store, String id, List<String> names, String pendingName) {
        store.dropGallery(id);
        store.addGalleryBlock(id, legacyBlock(names.size()), names);
        byte[] enrollment = new GalleryKeyOwner(GallerySessions.key()).encryptEnrollment(
                SyntheticEmbeddings.unit(new Random(6), GalleryParameters.DIMENSION));
        store.putGalleryEnrollment(id, 0, null, pendingName, names.size(), enrollment);
    }

    /**
     * {@link #writeLegacyGallery} on a running server, then forgotten by its gallery service (as a fresh process):
     * for tests in other packages (the web page's).
     */
    public static void makeOutdated(PiCryptServer s, String id, List<String> names, String pendingName) {
        writeLegacyGallery(s.store(), id, names, pendingName);
        s.gallery().forget(id);
    }

    private static URI url(PiCryptServer s) {
        return URI.create("http://127.0.0.1:" + s.port());
    }

    private HttpResponse<String> send(PiCryptServer s, String method, String keysetPath, String token, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(s).resolve(keysetPath)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (body != null) b.header("Content-Type", "application/octet-stream");
        b.header(io.picrypt.http.ApiPaths.GALLERY_LAYOUT_HEADER, Integer.toString(io.picrypt.match.GalleryParameters.LAYOUT));
        return raw.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String path(PiCryptClient.Keyset ks, String relative) {
        return "/v1/keysets/" + ks.id() + relative;
    }

    private static void assertOutdated(HttpResponse<String> r, String what) throws Exception {
        assertEquals(409, r.statusCode(), what + ": " + r.body());
        JsonNode n = JSON.readTree(r.body());
        assertEquals("gallery_outdated", n.path("error").asText(), what + ": " + r.body());
        assertEquals(OutdatedGalleryException.MESSAGE, n.path("message").asText(), what);
        assertTrue(n.path("message").asText().contains("picrypt gallery rebuild"), what);
    }

    /** Every route on an outdated gallery: info says so, the others 409, the store untouched (nothing computed or replayed). */
    private void checkRefused(PiCryptServer s, PiCryptClient.Keyset ks, SecretKey gsk) throws Exception {
        String id = ks.id(), token = ks.token();
        EnrollmentStore store = s.store();
        byte[] before = store.galleryBlock(id, 0).orElseThrow();

        HttpResponse<String> info = send(s, "GET", path(ks, "/gallery?names=true"), token, null);
        assertEquals(200, info.statusCode(), info.body());
        JsonNode i = JSON.readTree(info.body());
        assertTrue(i.path("outdated").asBoolean(), info.body());
        assertTrue(i.path("keys").asBoolean());
        assertEquals(OutdatedGalleryException.MESSAGE, i.path("message").asText());
        assertEquals(3, i.path("identities").asInt(), "the old names are listed (the rebuild needs them)");
        assertEquals(List.of("alice", "bob", "carol"), JSON.convertValue(i.path("names"), List.class));
        assertTrue(JSON.readTree(send(s, "GET", path(ks, "/gallery"), token, null).body()).path("outdated").asBoolean());

        GalleryKeyOwner owner = new GalleryKeyOwner(gsk, PROJECTION);
        float[] v = person(new Random(7));
        assertOutdated(send(s, "POST", path(ks, "/gallery/identify"), token, owner.encryptProbe(v)), "identify");
        assertOutdated(send(s, "PUT", path(ks, "/gallery/names/dave"), token, owner.encryptEnrollment(v)), "enroll");
        assertOutdated(send(s, "PUT", path(ks, "/gallery/names/alice?mode=replace"), token, owner.encryptEnrollment(v)), "replace");
        assertOutdated(send(s, "POST", path(ks, "/gallery/blocks"), token,
                GalleryFrames.writeImport(List.of("erin"), owner.encryptBlock(List.of(v)))), "import");
        assertOutdated(send(s, "GET", path(ks, "/gallery/blocks/0"), token, null), "download");
        assertOutdated(send(s, "POST", path(ks, "/gallery/compact"), token, GalleryCompaction.writeCompact(1, List.of())), "compact");
        assertOutdated(send(s, "DELETE", path(ks, "/gallery/names/bob"), token, null), "delete a name");
        // the client sees the same refusal, with what to run
        ClientException e = assertThrows(ClientException.class, () -> new PiCryptClient(url(s), id, token).identifyGallery(owner.encryptProbe(v)));
        assertEquals(409, e.status());
        assertTrue(e.getMessage().contains("picrypt gallery rebuild"), e.getMessage());

        // nothing computed, replayed or folded: the old block and its pending row are as the old server left them
        assertArrayEquals(before, store.galleryBlock(id, 0).orElseThrow());
        assertEquals(1, store.pendingEnrollments(id).size());
        assertEquals(new GalleryStore.GallerySize(1, 3), store.gallerySize(id));
    }

    private static MatchSession session(PiCryptServer s, PiCryptClient.Keyset ks, SecretKey sk) {
        PiCryptClient http = new PiCryptClient(url(s), ks.id(), ks.token());
        return new MatchSession(http, sk, GallerySessions.key(), PROJECTION, null, 1.30);
    }

    @Test
    void anOutdatedGalleryIsRefusedNeverComputedAndCanBeDropped() throws Exception {
        try (PiCryptServer s = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url(s), MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url(s), ks.id(), ks.token());
            http.uploadGalleryKeys(GallerySessions.evaluationKeys());
            writeLegacyGallery(s.store(), ks.id(), List.of("alice", "bob"), "carol");
            s.gallery().forget(ks.id()); // as a fresh process: nothing of it in memory
            checkRefused(s, ks, GallerySessions.key());
            dropAndUse(s, ks);
        }
    }

    /**
     * A client of the previous layout (no X-PiCrypt-Gallery-Layout header, 512-value ciphertexts that look the same on
     * the wire) or of another layout is refused on every route that takes gallery ciphertexts, before anything is
     * computed or stored; a current client (PiCryptClient sends the header) works.
     */
    @Test
    void anOldClientsGalleryCiphertextsAreRefused() throws Exception {
        try (PiCryptServer s = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url(s), MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url(s), ks.id(), ks.token());
            http.uploadGalleryKeys(GallerySessions.evaluationKeys());
            GalleryKeyOwner owner = new GalleryKeyOwner(GallerySessions.key(), PROJECTION);
            float[] v = person(new Random(9));
            byte[] block = GalleryFrames.writeImport(List.of("zed"), owner.encryptBlock(List.of(v)));
            String[][] routes = {{"POST", "/gallery/identify"}, {"PUT", "/gallery/names/dave"}, {"POST", "/gallery/blocks"},
                    {"POST", "/gallery/compact"}, {"POST", "/identify/batch"}};
            for (String layout : new String[]{null, "1", "3", ""}) {
                for (String[] r : routes) {
                    byte[] body = r[1].endsWith("blocks") ? block : r[1].endsWith("batch")
                            ? BatchFrames.writeRequest(List.of(new BatchFrames.Item(BatchFrames.GALLERY, owner.encryptProbe(v))))
                            : r[1].endsWith("compact") ? GalleryCompaction.writeCompact(0, List.of()) : owner.encryptProbe(v);
                    HttpRequest.Builder b = HttpRequest.newBuilder(url(s).resolve(path(ks, r[1]))).method(r[0], HttpRequest.BodyPublishers.ofByteArray(body))
                            .header("Authorization", "Bearer " + ks.token()).header("Content-Type", "application/octet-stream");
                    if (layout != null) b.header(io.picrypt.http.ApiPaths.GALLERY_LAYOUT_HEADER, layout);
                    HttpResponse<String> res = raw.send(b.build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals(409, res.statusCode(), r[1] + " with layout " + layout + ": " + res.body());
                    JsonNode j = JSON.readTree(res.body());
                    assertEquals("gallery_layout", j.path("error").asText(), res.body());
                    // a newer client's layout: the server is the side to upgrade
                    assertTrue(j.path("message").asText().contains("upgrade picrypt on the " + ("3".equals(layout) ? "server" : "client")), res.body());
                }
            }
            assertEquals(new GalleryStore.GallerySize(0, 0), s.store().gallerySize(ks.id()), "nothing was stored");
            MatchSession session = new MatchSession(http, MatchKeyOwner.generateSecretKey(), GallerySessions.key(), PROJECTION, null, 1.30);
            session.enrollEmbedding("dave", v, true);
            assertEquals("dave", session.identifyEmbedding(near(v, 0.2, new Random(10)), 1).best().name());
        }
    }

    /** DELETE .../gallery: the token like every keyset route, then 204, the keys kept, the gallery usable again. */
    private void dropAndUse(PiCryptServer s, PiCryptClient.Keyset ks) throws Exception {
        assertEquals(401, send(s, "DELETE", path(ks, "/gallery"), null, null).statusCode());
        assertEquals(403, send(s, "DELETE", path(ks, "/gallery"), "0".repeat(43), null).statusCode());
        assertEquals(404, send(s, "DELETE", "/v1/keysets/nosuchkeyset/gallery", ks.token(), null).statusCode());
        assertEquals(1, s.store().gallerySize(ks.id()).blocks(), "a refused drop drops nothing");
        assertEquals(204, send(s, "DELETE", path(ks, "/gallery"), ks.token(), null).statusCode());
        assertEquals(new GalleryStore.GallerySize(0, 0), s.store().gallerySize(ks.id()));
        assertTrue(s.store().pendingEnrollments(ks.id()).isEmpty());
        assertTrue(s.store().evaluationKeys(ks.id()).isPresent(), "the evaluation keys stay");
        PiCryptClient http = new PiCryptClient(url(s), ks.id(), ks.token());
        JsonNode info = http.galleryInfo();
        assertFalse(info.path("outdated").asBoolean(), info.toString());
        assertEquals(0, info.path("identities").asInt());
        assertTrue(info.path("keys").asBoolean());
        // the new layout works at once, names of the dropped gallery free again
        MatchSession m = session(s, ks, MatchKeyOwner.generateSecretKey());
        float[] a = person(new Random(8));
        m.enrollIntoGallery("alice", a);
        MatchSession.Identification id = m.identifyEmbedding(near(a, 0.2, new Random(9)), 1);
        assertEquals(1, id.identities());
        assertEquals("alice", id.best().name());
        http.dropGallery(); // the client's call, twice is fine
        http.dropGallery();
        assertEquals(0, http.galleryInfo().path("identities").asInt());
    }

    @Test
    void rebuildMigratesAnOutdatedGalleryFromTheTemplates() throws Exception {
        try (PiCryptServer s = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url(s), MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url(s), ks.id(), ks.token());
            http.uploadGalleryKeys(GallerySessions.evaluationKeys());
            MatchSession m = session(s, ks, MatchKeyOwner.generateSecretKey());
            Random r = new Random(10);
            List<String> names = List.of("alice", "bob", "carol");
            List<float[]> people = new ArrayList<>();
            for (String n : names) {
                float[] v = person(r);
                people.add(v);
                m.enrollEmbedding(n, v, true); // 1:1 templates (and a gallery entry, replaced below by the old layout)
            }
            // the old server's gallery: alice and bob in a v1 block, carol pending, and one imported name without templates
            writeLegacyGallery(s.store(), ks.id(), List.of("alice", "bob", "imported one"), "carol");
            s.gallery().forget(ks.id());
            assertTrue(http.galleryInfo().path("outdated").asBoolean());

            // gallery-only names cannot be rebuilt: refused, nothing changed
            MatchSession.GalleryOnlyNames refused = assertThrows(MatchSession.GalleryOnlyNames.class, () -> m.rebuildGallery(n -> {}));
            assertEquals(List.of("imported one"), refused.names());
            assertTrue(refused.getMessage().contains("1 gallery-only identity") && refused.getMessage().contains("--drop-outdated"), refused.getMessage());
            assertTrue(refused.getMessage().contains("(imported or enrolled with --gallery; no 1:1 templates): 'imported one';")
                    && refused.getMessage().contains("'picrypt list --gallery-names' lists them all"), refused.getMessage());
            assertTrue(http.galleryInfo().path("outdated").asBoolean(), "nothing changed");
            assertEquals(4, http.galleryInfo().path("identities").asInt());

            // the gallery-only names are told before the drop (the old gallery still there): an interruption after the
            // drop (here: the first enrollment of the rebuild) still leaves the caller the list of what to import again
            List<String> told = new ArrayList<>();
            RuntimeException stop = assertThrows(RuntimeException.class, () -> m.rebuildGallery(true, gone -> {
                assertTrue(http.galleryInfo().path("outdated").asBoolean(), "told before the drop");
                assertEquals(4, http.galleryInfo().path("identities").asInt(), "told before the drop");
                told.addAll(gone);
            }, n -> {
                throw new IllegalStateException("interrupted after the drop");
            }));
            assertEquals("interrupted after the drop", stop.getMessage());
            assertEquals(List.of("imported one"), told);
            assertFalse(http.galleryInfo().path("outdated").asBoolean(), "dropped before the interruption");
            assertEquals(1, http.galleryInfo().path("identities").asInt(), "one name enrolled before the interruption");
            // a callback that throws stops the rebuild before anything changed
            writeLegacyGallery(s.store(), ks.id(), List.of("alice", "bob", "imported one"), "carol");
            s.gallery().forget(ks.id());
            assertThrows(IllegalStateException.class, () -> m.rebuildGallery(true, gone -> {
                throw new IllegalStateException("cannot record them");
            }, n -> {}));
            assertTrue(http.galleryInfo().path("outdated").asBoolean(), "nothing changed");
            assertEquals(4, http.galleryInfo().path("identities").asInt(), "nothing changed");

            MatchSession.Rebuild rb = m.rebuildGallery(true, n -> {});
            assertEquals(new MatchSession.Rebuild(3, 0, 0, List.of(), true, List.of("imported one")), rb);
            JsonNode info = http.galleryInfo();
            assertFalse(info.path("outdated").asBoolean(), info.toString());
            assertEquals(3, info.path("identities").asInt());
            assertEquals(1, info.path("blocks").asInt());
            for (int i = 0; i < names.size(); i++) {
                float[] probe = near(people.get(i), 0.3, r);
                MatchSession.Identification id = m.identifyEmbedding(probe, 3);
                assertEquals(3, id.identities());
                assertNotNull(id.match(), "a MATCH for " + names.get(i));
                assertEquals(names.get(i), id.match().name());
                assertEquals(MatchSession.Confirmation.CONFIRMED, id.confirmation(), "confirmed against the 1:1 templates");
                assertEquals(SyntheticEmbeddings.squaredDistance(people.get(i), probe), id.best().distance(), 2e-3);
            }
            MatchSession.Identification stranger = m.identifyEmbedding(person(r), 1);
            assertNull(stranger.match(), "a stranger is no MATCH: " + stranger.best());
            // a gallery in the current layout: rebuild as before (nothing to add, nothing replaced)
            assertEquals(new MatchSession.Rebuild(0, 3, 0, List.of()), m.rebuildGallery(true, n -> {}));
        }
    }

    @Test
    void rebuildWithoutGalleryOnlyNamesNeedsNoFlag() throws Exception {
        try (PiCryptServer s = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url(s), MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url(s), ks.id(), ks.token());
            http.uploadGalleryKeys(GallerySessions.evaluationKeys());
            MatchSession m = session(s, ks, MatchKeyOwner.generateSecretKey());
            float[] a = person(new Random(11));
            m.enrollEmbedding("alice", a, true);
            writeLegacyGallery(s.store(), ks.id(), List.of("alice"), "someone deleted since");
            s.gallery().forget(ks.id());
            // "someone deleted since" has no templates: gallery-only, so the flag is needed ...
            assertThrows(MatchSession.GalleryOnlyNames.class, () -> m.rebuildGallery(n -> {}));
            // ... and without it (only 1:1 names in the old gallery) the rebuild just replaces it
            s.store().dropGallery(ks.id());
            s.store().addGalleryBlock(ks.id(), legacyBlock(1), List.of("alice"));
            s.gallery().forget(ks.id());
            MatchSession.Rebuild rb = m.rebuildGallery(n -> {});
            assertEquals(new MatchSession.Rebuild(1, 0, 0, List.of(), true, List.of()), rb);
            assertEquals("alice", m.identifyEmbedding(near(a, 0.3, new Random(12)), 1).match().name());
        }
    }

    @Test
    void aClusterRefusesAnOutdatedGalleryAndDropsIt() throws Exception {
        boolean up;
        try (var c = DriverManager.getConnection(PG)) {
            up = c.isValid(5);
        } catch (Exception e) {
            up = false;
        }
        assumeTrue(up, "no PostgreSQL at $PICRYPT_TEST_POSTGRES");
        int port = ClusterGalleryTest.freePort();
        var settings = new ClusterGalleryService.Settings("layout-" + Long.toHexString(new Random().nextLong()), List.of("127.0.0.1:" + port),
                "127.0.0.1", port);
        try (PiCryptServer s = PiCryptServer.open(ServerConfig.defaults(data, 0).withStoreUrl(PG), settings).start()) {
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url(s), MatchParameters.get().fingerprintHex());
            try {
                PiCryptClient http = new PiCryptClient(url(s), ks.id(), ks.token());
                http.uploadGalleryKeys(GallerySessions.evaluationKeys());
                writeLegacyGallery(s.store(), ks.id(), List.of("alice", "bob"), "carol");
                s.gallery().forget(ks.id());
                checkRefused(s, ks, GallerySessions.key());
                // and v1 bytes that reached the cluster's map anyway (a member of an older build) are refused by type too
                var cluster = (ClusterGalleryService) s.gallery();
                var ev = cluster.evaluator(ks.id(), true);
                assertThrows(OutdatedGalleryException.class, () -> ev.readBlock(s.store().galleryBlock(ks.id(), 0).orElseThrow()));
                dropAndUse(s, ks);
            } finally {
                new PiCryptClient(url(s), ks.id(), ks.token()).deleteKeyset();
            }
        }
    }

    static Object[] cli(String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(), err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream o = System.out, e = System.err;
        System.setOut(new java.io.PrintStream(out, true));
        System.setErr(new java.io.PrintStream(err, true));
        try {
            return new Object[]{io.picrypt.cli.Main.run(args), out.toString(), err.toString()};
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    /**
     * 'picrypt delete' while the keyset's gallery is outdated: refused before anything is deleted (the 1:1 templates
     * stay, so the rebuild does not take the name for a gallery-only one), with what to run; 'list' shows the name's gallery
     * as outdated, not "1:1 + 1:N"; after the rebuild the delete works.
     */
    @Test
    void theDeleteCommandRefusesAnOutdatedGalleryBeforeDeletingAnything() throws Exception {
        try (PiCryptServer s = new PiCryptServer(ServerConfig.defaults(data.resolve("data"), 0)).start()) {
            String keys = data.resolve("keys").toString();
            assertEquals(0, cli("keys", "init", "--keys", keys, "--server", url(s).toString())[0]);
            var dir = new io.picrypt.client.KeyDirectory(Path.of(keys));
            var cfg = dir.readConfig();
            PiCryptClient http = new PiCryptClient(cfg);
            http.enroll("amy", new MatchKeyOwner(dir.readSecretKey(null)).encryptTemplate(person(new Random(13)), "amy"), true);
            writeLegacyGallery(s.store(), cfg.keyset(), List.of("amy"), "other");
            s.gallery().forget(cfg.keyset());

            String list = (String) cli("list", "--keys", keys)[1];
            String amy = list.lines().filter(l -> l.startsWith("amy\t")).findFirst().orElseThrow();
            assertTrue(amy.endsWith("\t1:1 (gallery outdated: run 'picrypt gallery rebuild')"), list);
            assertTrue(list.contains("1 of them also in the 1:N gallery (outdated: unusable until rebuilt)"), list);

            Object[] r = cli("delete", "--name", "amy", "--keys", keys);
            assertEquals(2, r[0], (String) r[1] + r[2]);
            String err = (String) r[2];
            assertTrue(err.contains("run 'picrypt gallery rebuild' first") && err.contains("nothing was deleted"), err);
            assertEquals(List.of("amy"), http.list().stream().map(PiCryptClient.Identity::name).toList(), "the 1:1 templates stay");
            assertEquals(2, s.store().gallerySize(cfg.keyset()).identities(), "the old gallery stays");

            // the rebuild: amy is rebuilt from her templates, not reported as gallery-only
            r = cli("gallery", "rebuild", "--drop-outdated", "--keys", keys);
            assertEquals(0, r[0], (String) r[1] + r[2]);
            assertFalse(((String) r[1] + r[2]).contains("gallery-only amy"), (String) r[1] + r[2]);
            assertTrue(((String) r[2]).contains("dropped gallery-only other"), (String) r[2]);
            assertTrue(((String) r[1]).contains("1 identities added from their templates"), (String) r[1]);
            r = cli("delete", "--name", "amy", "--keys", keys);
            assertEquals(0, r[0], (String) r[1] + r[2]);
            assertTrue(((String) r[1]).contains("deleted 'amy' (1:1 templates) (1:N gallery"), (String) r[1]);
            assertTrue(http.list().isEmpty());
        }
    }

    /** 'picrypt gallery rebuild' on an outdated gallery with a gallery-only name: exit 2 and what to run; --drop-outdated drops it. */
    @Test
    void theRebuildCommandRefusesThenDropsGalleryOnlyNames() throws Exception {
        try (PiCryptServer s = new PiCryptServer(ServerConfig.defaults(data.resolve("data"), 0)).start()) {
            String keys = data.resolve("keys").toString();
            assertEquals(0, cli("keys", "init", "--keys", keys, "--server", url(s).toString())[0]);
            var cfg = new io.picrypt.client.KeyDirectory(Path.of(keys)).readConfig();
            writeLegacyGallery(s.store(), cfg.keyset(), List.of("imported one"), "imported two");
            s.gallery().forget(cfg.keyset());
            String list = (String) cli("list", "--keys", keys)[1];
            assertTrue(list.contains("the 1:N gallery cannot be used: " + OutdatedGalleryException.MESSAGE), list);
            Object[] r = cli("gallery", "rebuild", "--keys", keys);
            assertEquals(2, r[0], (String) r[1] + r[2]);
            String err = (String) r[2];
            assertTrue(err.contains("512-dimensional layout") && err.contains("2 gallery-only identities")
                    && err.contains("picrypt gallery rebuild --drop-outdated") && err.contains("nothing was changed"), err);
            // named, with where to see them all, and not called "imported" only
            assertTrue(err.contains("(imported or enrolled with --gallery; no 1:1 templates): 'imported one', 'imported two';")
                    && err.contains("'picrypt list --gallery-names' lists them all"), err);
            assertEquals(2, s.store().gallerySize(cfg.keyset()).identities(), "nothing changed");
            String names = (String) cli("list", "--gallery-names", "--keys", keys)[1];
            assertTrue(names.contains("imported one\t1:N only (gallery-only: imported or enrolled with --gallery; no 1:1 templates)"), names);
            assertTrue(names.contains("2 of them gallery-only (imported or enrolled with --gallery)"), names);
            r = cli("gallery", "rebuild", "--drop-outdated", "--keys", keys);
            assertEquals(0, r[0], (String) r[1] + r[2]);
            String out = (String) r[1];
            assertTrue(out.contains("old gallery replaced"), out);
            // the names were told (stderr) and saved in the key directory before the drop: an interruption cannot lose them
            err = (String) r[2];
            assertTrue(err.contains("dropped gallery-only imported one") && err.contains("dropped gallery-only imported two"), err);
            List<Path> saved;
            try (var files = java.nio.file.Files.list(Path.of(keys))) {
                saved = files.filter(f -> f.getFileName().toString().matches("gallery-dropped-\\d{8}T\\d{6}Z\\.txt")).toList();
            }
            assertEquals(1, saved.size(), err);
            assertEquals(List.of("imported one", "imported two"), java.nio.file.Files.readAllLines(saved.get(0)));
            assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"), java.nio.file.Files.getPosixFilePermissions(saved.get(0)));
            assertTrue(err.contains("names saved in " + saved.get(0)), err);
            assertTrue(out.contains("dropped 2 gallery-only identities with it") && out.contains(saved.get(0).toString()), out);
            JsonNode info = new PiCryptClient(cfg).galleryInfo();
            assertFalse(info.path("outdated").asBoolean(), info.toString());
            assertEquals(0, info.path("identities").asInt());
        }
    }
}
