package io.picrypt.server;

import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.SyntheticEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A SQLite store written by main at cbfe6bd (src/test/resources/legacy-store-cbfe6bd/make.jsh, run with jshell against
 * that commit's jar): four identities enrolled as 1:1 templates only ("templated 0" twice, with --add), no gallery.
 * After the upgrade nothing is lost, verify still works, and {@code gallery rebuild} makes every one identifiable
 * through the single 1:N path.
 */
class LegacyStoreTest {
    @TempDir
    Path data;

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = LegacyStoreTest.class.getResourceAsStream("/legacy-store-cbfe6bd/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void aStoreWrittenByTheOldVersionIsRebuiltIntoTheGallery() throws Exception {
        Files.write(data.resolve("picrypt.db"), resource("picrypt.db"));
        String[] ks = new String(resource("keyset.txt")).trim().split("\n");
        SecretKey sk = Serializer.readSecretKey(resource("secret.key"), MatchParameters.get());
        // the same embeddings, in the same order, as make.jsh
        Random r = new Random(2026);
        List<float[]> people = new ArrayList<>();
        for (int i = 0; i < 4; i++) people.add(SyntheticEmbeddings.unit(r));
        float[] second = SyntheticEmbeddings.unit(r);
        float[] zero = MatchSession.normalisedMean(List.of(people.get(0), second)); // the mean of "templated 0"'s two templates

        SecretKey gsk = GalleryKeyOwner.generateSecretKey();
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            PiCryptClient http = new PiCryptClient(url, ks[0], ks[1]);
            MatchSession s = new MatchSession(http, sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
            assertEquals(4, http.list().size(), "nothing lost");
            assertEquals(2, http.list().get(0).templates());
            assertTrue(s.verifyEmbedding("templated 2", SyntheticEmbeddings.near(people.get(2), 0.5, r)).match(), "verify still works");

            // keys init uploads the gallery keys; the old identities are not in the gallery yet
            http.uploadGalleryKeys(new GalleryKeyOwner(gsk).evaluationKeys());
            assertEquals(0, s.identifyEmbedding(people.get(1), 1).identities());

            MatchSession.Rebuild rb = s.rebuildGallery(n -> {});
            assertEquals(new MatchSession.Rebuild(4, 0, 0, List.of()), rb);
            for (int i = 0; i < 4; i++) {
                float[] target = i == 0 ? zero : people.get(i);
                float[] probe = SyntheticEmbeddings.near(target, 0.9, r);
                MatchSession.Identification id = s.identifyEmbedding(probe, 4);
                assertEquals(4, id.identities(), "one answer covers everyone");
                assertEquals("templated " + i, id.match().name());
                assertEquals(SyntheticEmbeddings.galleryDistance(s.galleryBasis(), target, probe), id.best().distance(), GalleryKeyOwner.DISTANCE_ERROR_BOUND);
            }
            assertEquals(new MatchSession.Rebuild(0, 4, 0, List.of()), s.rebuildGallery(n -> {}), "a second rebuild adds nothing");

            // new enrollments go into the gallery as well as the templates; --add moves the gallery entry to the mean
            float[] a = SyntheticEmbeddings.unit(r), b = SyntheticEmbeddings.unit(r);
            MatchSession.Enrollment e = s.enrollEmbedding("new one", a, true);
            assertTrue(e.warnings().isEmpty(), e.warnings().toString());
            assertEquals("new one", s.identifyEmbedding(SyntheticEmbeddings.near(a, 0.6, r), 1).match().name());
            s.enrollEmbedding("new one", b, false);
            float[] ab = MatchSession.normalisedMean(List.of(a, b));
            float[] probe = SyntheticEmbeddings.near(ab, 0.7, r);
            MatchSession.Identification id = s.identifyEmbedding(probe, 1);
            assertEquals(5, id.identities(), "one gallery entry per name");
            assertEquals("new one", id.match().name());
            assertEquals(SyntheticEmbeddings.galleryDistance(s.galleryBasis(), ab, probe), id.best().distance(), GalleryKeyOwner.DISTANCE_ERROR_BOUND);

            assertEquals(new PiCryptClient.Deleted(true, true), http.deleteEverywhere("new one"));
            assertEquals(4, s.identifyEmbedding(probe, 1).identities());

            // a template this key cannot read (stored by someone holding the token, not the key) is skipped and named,
            // and the names after it are still rebuilt (the rebuild used to stop at the first)
            http.enroll("aa intruder", new io.picrypt.match.MatchKeyOwner(io.picrypt.match.MatchKeyOwner.generateSecretKey())
                    .encryptTemplate(SyntheticEmbeddings.unit(r), "aa intruder"), false);
            float[] late = SyntheticEmbeddings.unit(r);
            s.enrollEmbedding("zz late", late, true);
            assertTrue(http.deleteFromGallery("zz late"), "as if its enrollment stopped before the gallery step");
            MatchSession.Rebuild partial = s.rebuildGallery(n -> {});
            assertEquals(1, partial.added(), partial.toString());
            assertEquals(1, partial.skipped().size(), partial.toString());
            assertTrue(partial.skipped().get(0).startsWith("aa intruder: a stored template of 'aa intruder' does not decrypt with this key"),
                    partial.skipped().get(0));
            assertEquals("zz late", s.identifyEmbedding(SyntheticEmbeddings.near(late, 0.6, r), 1).match().name());
        }
    }

    @Test
    void enrollmentWithoutGalleryKeysWarnsAndStillStoresTheTemplate() throws Exception {
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url, ks.id(), ks.token());
            MatchSession s = new MatchSession(http, io.picrypt.match.MatchKeyOwner.generateSecretKey(), GalleryKeyOwner.generateSecretKey(), io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
            MatchSession.Enrollment e = s.enrollEmbedding("someone", SyntheticEmbeddings.unit(new Random(3)), true);
            assertEquals(1, e.warnings().size());
            assertTrue(e.warnings().get(0).contains("keys init"), e.warnings().get(0));
            assertEquals(1, http.list().size());
            assertEquals(1, http.templates("someone").size());
            assertEquals(404, assertThrows(io.picrypt.client.ClientException.class, () -> http.templates("nobody")).status());
        }
    }
}
