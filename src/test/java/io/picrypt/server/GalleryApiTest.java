package io.picrypt.server;

import io.picrypt.ckks.SecretKey;
import io.picrypt.client.ClientException;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.SyntheticEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The bulk 1:N gallery through HTTP: import, identify merged with templates, delete, token isolation, restart. */
class GalleryApiTest {
    @TempDir
    Path data;

    @Test
    void importIdentifyDeleteAndSurviveARestart() throws Exception {
        Random r = new Random(17);
        List<float[]> people = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            people.add(SyntheticEmbeddings.unit(r));
            names.add("watch " + i);
        }
        SecretKey sk = MatchKeyOwner.generateSecretKey(), gsk = GalleryKeyOwner.generateSecretKey();
        PiCryptClient.Keyset ks;
        float[][] late = new float[1][];
        byte[] keys = new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1)).evaluationKeys();
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            ks = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url, ks.id(), ks.token());
            MatchSession s = new MatchSession(http, sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
            ClientException noKeys = assertThrows(ClientException.class, () -> s.importGallery(names, people, d -> {}));
            assertEquals(409, noKeys.status());
            http.uploadGalleryKeys(keys);
            s.importGallery(names, people, d -> {});
            float[] enrolled = SyntheticEmbeddings.unit(r);
            s.enrollEmbedding("enrolled one", enrolled, true);

            // identify covers both the template and the gallery identities; decisions equal plaintext
            for (int i : new int[]{3, 27}) {
                for (double d2 : new double[]{1.27, 1.33}) {
                    float[] probe = SyntheticEmbeddings.near(people.get(i), d2, r);
                    MatchSession.Identification id = s.identifyEmbedding(probe, 3);
                    assertEquals(41, id.identities());
                    assertEquals("watch " + i, id.best().name());
                    assertEquals(SyntheticEmbeddings.galleryDistance(io.picrypt.match.GalleryProjection.synthetic(1), people.get(i), probe), id.best().distance(), io.picrypt.match.GalleryKeyOwner.DISTANCE_ERROR_BOUND);
                    assertEquals(SyntheticEmbeddings.galleryDistance(io.picrypt.match.GalleryProjection.synthetic(1), people.get(i), probe) <= 1.30, id.match() != null);
                }
            }
            assertEquals("enrolled one", s.identifyEmbedding(SyntheticEmbeddings.near(enrolled, 0.5, r), 1).match().name());

            // duplicate names, garbage, other tokens
            ClientException dup = assertThrows(ClientException.class,
                    () -> s.importGallery(List.of("watch 1"), List.of(people.get(1)), d -> {}));
            assertEquals(409, dup.status());
            assertEquals(400, assertThrows(ClientException.class, () -> http.importGalleryBlock("PCGN garbage".getBytes())).status());
            assertEquals(400, assertThrows(ClientException.class, () -> http.identifyGallery(new byte[100])).status());
            PiCryptClient.Keyset other = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex());
            PiCryptClient intruder = new PiCryptClient(url, ks.id(), other.token());
            assertEquals(403, assertThrows(ClientException.class, () -> intruder.identifyGallery(new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1)).encryptProbe(people.get(0)))).status());
            assertEquals(403, assertThrows(ClientException.class, () -> intruder.deleteFromGallery("watch 0")).status());

            // single enrollment into the gallery (expanded by the server into the next free slot)
            late[0] = SyntheticEmbeddings.unit(r);
            s.enrollIntoGallery("late one", late[0]);
            assertEquals(409, assertThrows(ClientException.class, () -> s.enrollIntoGallery("late one", late[0])).status());
            MatchSession.Identification li = s.identifyEmbedding(SyntheticEmbeddings.near(late[0], 1.25, r), 2);
            assertEquals("late one", li.match().name());
            assertEquals(42, li.identities());

            assertTrue(http.deleteFromGallery("watch 3"));
            assertFalse(http.deleteFromGallery("watch 3"));
            MatchSession.Identification after = s.identifyEmbedding(SyntheticEmbeddings.near(people.get(3), 0.2, r), 3);
            assertEquals(41, after.identities());
            assertNull(after.match(), "a deleted identity is never reported");
        }
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            MatchSession s = new MatchSession(new PiCryptClient(url, ks.id(), ks.token()), sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
            MatchSession.Identification id = s.identifyEmbedding(SyntheticEmbeddings.near(people.get(27), 0.4, r), 1);
            assertEquals("watch 27", id.match().name(), "the gallery persisted");
            assertEquals(41, id.identities());
            assertEquals("late one", s.identifyEmbedding(SyntheticEmbeddings.near(late[0], 0.3, r), 1).match().name());

            // a name in both places: one delete removes it from both
            s.enrollEmbedding("late one", late[0], true);
            assertEquals(new PiCryptClient.Deleted(true, true), new PiCryptClient(url, ks.id(), ks.token()).deleteEverywhere("late one"));
            assertNull(s.identifyEmbedding(SyntheticEmbeddings.near(late[0], 0.3, r), 1).match(), "gone from templates and gallery");
        }
    }

    @Test
    void answerFramingRejectsGarbage() {
        assertThrows(RuntimeException.class, () -> GalleryFrames.readAnswer("nope".getBytes()));
        assertThrows(RuntimeException.class, () -> GalleryFrames.readImport(new byte[]{'P', 'C', 'G', 'N', 1, 0, 0, 0, 0}));
    }
}
