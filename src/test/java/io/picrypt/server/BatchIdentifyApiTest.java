package io.picrypt.server;

import io.picrypt.ckks.SecretKey;
import io.picrypt.client.ClientException;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.BatchFrames;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.SyntheticEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** POST .../identify/batch: several faces in one request, each answered exactly as the single-probe routes would. */
class BatchIdentifyApiTest {
    @TempDir
    Path data;

    @Test
    void aBatchAnswersEachProbeAsTheSingleRoutesDoInOneRoundTrip() throws Exception {
        Random r = new Random(23);
        List<float[]> people = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            people.add(SyntheticEmbeddings.unit(r));
            names.add("gallery " + i);
        }
        SecretKey sk = MatchKeyOwner.generateSecretKey(), gsk = GalleryKeyOwner.generateSecretKey();
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url, ks.id(), ks.token());
            MatchSession s = new MatchSession(http, sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
            http.uploadGalleryKeys(new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1)).evaluationKeys());
            s.importGallery(names, people, d -> {});
            float[] alice = SyntheticEmbeddings.unit(r), bob = SyntheticEmbeddings.unit(r);
            s.enrollEmbedding("alice", alice, true);
            s.enrollEmbedding("bob", bob, true);

            // a "group photo": alice, a gallery person, a stranger, bob
            List<float[]> faces = List.of(SyntheticEmbeddings.near(alice, 0.6, r), SyntheticEmbeddings.near(people.get(7), 1.1, r),
                    SyntheticEmbeddings.unit(r), SyntheticEmbeddings.near(bob, 1.25, r));
            MatchSession.Batch b = s.identifyAll(faces, 3);
            assertEquals(4, b.faces().size());
            assertEquals("alice", b.faces().get(0).match().name());
            assertEquals("gallery 7", b.faces().get(1).match().name());
            assertNull(b.faces().get(2).match(), "a stranger is unknown");
            assertEquals("bob", b.faces().get(3).match().name());
            for (int i = 0; i < faces.size(); i++) {
                MatchSession.Identification one = s.identifyEmbedding(faces.get(i), 3);
                assertEquals(14, b.faces().get(i).identities());
                assertEquals(one.best().name(), b.faces().get(i).best().name());
                assertEquals(one.best().distance(), b.faces().get(i).best().distance(), 2 * io.picrypt.match.GalleryKeyOwner.DISTANCE_ERROR_BOUND, "same answer as the single route");
            }
            assertEquals(SyntheticEmbeddings.galleryDistance(io.picrypt.match.GalleryProjection.synthetic(1), alice, faces.get(0)), b.faces().get(0).best().distance(), io.picrypt.match.GalleryKeyOwner.DISTANCE_ERROR_BOUND);
            assertTrue(b.trace().requestBytes() > 4 * 100_000, "a gallery probe per face in the one request");

            // malformed batches: 400 with a JSON body; an item over the per-probe limit: 413
            byte[] probe = new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1)).encryptProbe(alice);
            assertEquals(400, assertThrows(ClientException.class, () -> http.identifyBatch("PCBQ garbage".getBytes())).status());
            byte[] good = BatchFrames.writeRequest(List.of(new BatchFrames.Item(BatchFrames.GALLERY, probe)));
            assertEquals(1, BatchFrames.readAnswer(http.identifyBatch(good).body()).size(), "a well-formed gallery batch is answered");
            // the removed template identify: a kind-1 item is refused with a message saying so, not answered
            byte[] templateItem = BatchFrames.writeRequest(List.of(new BatchFrames.Item(BatchFrames.TEMPLATES, new MatchKeyOwner(sk).encryptProbe(alice))));
            ClientException removed = assertThrows(ClientException.class, () -> http.identifyBatch(templateItem));
            assertEquals(400, removed.status());
            assertTrue(removed.getMessage().contains("no longer exists"), removed.getMessage());
            byte[] truncated = java.util.Arrays.copyOf(good, good.length - 10);
            assertEquals(400, assertThrows(ClientException.class, () -> http.identifyBatch(truncated)).status());
            byte[] badProbe = BatchFrames.writeRequest(List.of(new BatchFrames.Item(BatchFrames.GALLERY, new byte[64])));
            assertEquals(400, assertThrows(ClientException.class, () -> http.identifyBatch(badProbe)).status());
            byte[] huge = BatchFrames.writeRequest(List.of(new BatchFrames.Item(BatchFrames.GALLERY, new byte[(1 << 20) + 1])));
            assertEquals(413, assertThrows(ClientException.class, () -> http.identifyBatch(huge)).status());
            // the server refuses a batch over its item limit (64) with 400 ...
            java.nio.ByteBuffer over = java.nio.ByteBuffer.allocate(7 + (BatchFrames.MAX_ITEMS + 1) * (5 + probe.length));
            over.put("PCBQ".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put((byte) 1).putShort((short) (BatchFrames.MAX_ITEMS + 1));
            for (int i = 0; i <= BatchFrames.MAX_ITEMS; i++) over.put((byte) BatchFrames.GALLERY).putInt(probe.length).put(probe);
            byte[] tooMany = over.array();
            assertEquals(400, assertThrows(ClientException.class, () -> http.identifyBatch(tooMany)).status());
            // ... so a crowd of 65 faces (> 64 items) goes in consecutive batches, in order, instead of being refused
            assertEquals(64, s.facesPerBatch());
            List<float[]> crowd = new java.util.ArrayList<>(Collections.nCopies(64, alice));
            crowd.add(bob);
            MatchSession.Batch many = s.identifyAll(crowd, 1);
            assertEquals(2, many.requests());
            assertEquals(65, many.faces().size());
            assertEquals("alice", many.faces().get(63).match().name());
            assertEquals("bob", many.faces().get(64).match().name(), "the face of the second batch keeps its place");
            assertEquals(1, b.requests());
            // another keyset's token cannot use this keyset
            PiCryptClient.Keyset other = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex());
            PiCryptClient intruder = new PiCryptClient(url, ks.id(), other.token());
            assertEquals(403, assertThrows(ClientException.class, () -> intruder.identifyBatch(good)).status());
        }
    }

    /**
     * Issue 11/17 QA gap: a token holder could run any number of 64-probe batches at once. Identify requests now take
     * one of the server's identify slots: beyond its keyset's share the request gets 429, beyond the server's slots 503,
     * both JSON with Retry-After, while the running batch completes.
     */
    @Test
    void identifyRequestsAreLimitedPerKeysetAndServer() throws Exception {
        SecretKey sk = MatchKeyOwner.generateSecretKey(), gsk = GalleryKeyOwner.generateSecretKey();
        Random r = new Random(29);
        ServerConfig cfg = ServerConfig.defaults(data.resolve("limited"), 0)
                .withLimits(Limits.parse("identifySlots=1,identifySlotsPerKeyset=1,identifyWaitMs=1500"));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (PiCryptServer server = new PiCryptServer(cfg).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            byte[] keys = new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1)).evaluationKeys();
            PiCryptClient.Keyset ka = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex()),
                    kb = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex());
            PiCryptClient a = new PiCryptClient(url, ka.id(), ka.token()), b = new PiCryptClient(url, kb.id(), kb.token());
            a.uploadGalleryKeys(keys);
            b.uploadGalleryKeys(keys);
            float[] alice = SyntheticEmbeddings.unit(r);
            new MatchSession(a, sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30).enrollEmbedding("alice", alice, true);
            new MatchSession(b, sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30).enrollEmbedding("alice", alice, true);
            byte[] probe = new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1)).encryptProbe(alice);
            a.identifyGallery(probe); // loads both galleries first, so the short requests below are short
            b.identifyGallery(probe);
            byte[] batch = BatchFrames.writeRequest(Collections.nCopies(BatchFrames.MAX_ITEMS, new BatchFrames.Item(BatchFrames.GALLERY, probe)));
            java.util.concurrent.Future<PiCryptClient.Reply> running = pool.submit(() -> a.identifyBatch(batch));
            java.net.http.HttpClient raw = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> own = null, other = null;
            while (!running.isDone() && (own == null || other == null)) {
                java.net.http.HttpResponse<String> x = raw.send(java.net.http.HttpRequest.newBuilder(url.resolve("/v1/keysets/" + ka.id() + "/gallery/identify"))
                        .header("Authorization", "Bearer " + ka.token()).header(io.picrypt.http.ApiPaths.GALLERY_LAYOUT_HEADER, Integer.toString(io.picrypt.match.GalleryParameters.LAYOUT)).POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(probe)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                if (x.statusCode() == 429) {
                    own = x;
                    // the same moment, another keyset: the server's only slot is taken -> 503
                    other = raw.send(java.net.http.HttpRequest.newBuilder(url.resolve("/v1/keysets/" + kb.id() + "/identify/batch"))
                            .header("Authorization", "Bearer " + kb.token()).header(io.picrypt.http.ApiPaths.GALLERY_LAYOUT_HEADER, Integer.toString(io.picrypt.match.GalleryParameters.LAYOUT)).POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(
                                    BatchFrames.writeRequest(List.of(new BatchFrames.Item(BatchFrames.GALLERY, probe))))).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                } else {
                    assertEquals(200, x.statusCode(), x.body()); // the batch had not started yet (it waits for a slot up to 1.5 s)
                    Thread.sleep(200);
                }
            }
            assertNotNull(own, "a second identify of the keyset while its 64-probe batch runs is refused");
            assertTrue(own.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), own.body());
            assertTrue(own.body().contains("\"too_many_requests\""), own.body());
            assertTrue(own.headers().firstValue("Retry-After").isPresent());
            assertTrue(other.statusCode() == 503 || (other.statusCode() == 200 && running.isDone()), other.statusCode() + " " + other.body());
            if (other.statusCode() == 503) {
                assertTrue(other.body().contains("\"busy\"") && other.headers().firstValue("Retry-After").isPresent(), other.body());
            }
            assertEquals(BatchFrames.MAX_ITEMS, BatchFrames.readAnswer(running.get().body()).size(), "the running batch completes");
            // slots are released: both keysets are answered again
            new MatchSession(b, sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30).identifyEmbedding(alice, 1);
            assertEquals("alice", new MatchSession(a, sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30).identifyEmbedding(alice, 1).best().name());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void framesRoundTripAndRejectEveryMalformation() {
        List<BatchFrames.Item> items = List.of(new BatchFrames.Item(1, new byte[]{1, 2, 3}), new BatchFrames.Item(2, new byte[]{4}));
        List<BatchFrames.Item> back = BatchFrames.readRequest(BatchFrames.writeRequest(items));
        assertEquals(2, back.size());
        assertArrayEquals(new byte[]{1, 2, 3}, back.get(0).body());
        assertEquals(2, back.get(1).kind());
        byte[] answer = BatchFrames.writeAnswer(items);
        assertThrows(io.picrypt.ckks.MalformedFrameException.class, () -> BatchFrames.readRequest(answer), "an answer is not a request");
        byte[] trailing = java.util.Arrays.copyOf(answer, answer.length + 1);
        assertThrows(io.picrypt.ckks.MalformedFrameException.class, () -> BatchFrames.readAnswer(trailing));
        byte[] badKind = answer.clone();
        badKind[7] = 9;
        assertThrows(io.picrypt.ckks.MalformedFrameException.class, () -> BatchFrames.readAnswer(badKind));
        byte[] lying = answer.clone();
        lying[11] = 100; // first item's length claims more than there is
        assertThrows(io.picrypt.ckks.MalformedFrameException.class, () -> BatchFrames.readAnswer(lying));
        byte[] zero = answer.clone();
        zero[5] = 0;
        zero[6] = 0;
        assertThrows(io.picrypt.ckks.MalformedFrameException.class, () -> BatchFrames.readAnswer(zero));
        assertThrows(IllegalArgumentException.class, () -> BatchFrames.writeRequest(List.of()));
        assertThrows(IllegalArgumentException.class, () -> BatchFrames.writeRequest(Collections.nCopies(65, items.get(0))));
        assertThrows(IllegalArgumentException.class, () -> new BatchFrames.Item(1, new byte[0]));
    }
}
