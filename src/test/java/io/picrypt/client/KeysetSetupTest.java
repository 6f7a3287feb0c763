package io.picrypt.client;

import com.sun.net.httpserver.HttpServer;
import io.picrypt.cli.EmbeddedServer;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.SyntheticEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeysetSetupTest {
    @Test
    void keysetWithGalleryIsUsableAndItsKeyDirectoryPassesTheKeyChecks(@TempDir Path tmp) {
        try (EmbeddedServer server = EmbeddedServer.in(tmp)) {
            KeysetSetup.Keys keys = KeysetSetup.create(server.url(), null, true);
            assertNotNull(keys.gallerySecretKey());
            assertTrue(keys.evaluationKeyBytes() > 1_000_000, "the gallery evaluation keys were uploaded: " + keys.evaluationKeyBytes());
            PiCryptClient http = keys.http();
            assertTrue(http.galleryInfo().path("keys").asBoolean(), "the server has the gallery keys");

            KeyDirectory dir = new KeyDirectory(tmp.resolve("keys"));
            keys.writeTo(dir, null, false);
            var sk = dir.readSecretKey(null);
            var gsk = dir.readKey(KeyDirectory.GALLERY_SECRET_FILE, GalleryParameters.get(), null);
            dir.checkKeys(sk, gsk); // the recorded key checks are these keys'
            assertEquals(keys.checks(), dir.readKeyChecks());
            assertEquals(keys.keyset().id(), dir.readConfig().keyset());

            // the keyset answers what its keys encrypt: enroll (template + gallery), verify, identify
            MatchSession s = keys.session(http, null, 1.2);
            Random rnd = new Random(3);
            float[] a = SyntheticEmbeddings.unit(rnd);
            s.enrollEmbedding("alice", a, true);
            assertTrue(s.verifyEmbedding("alice", SyntheticEmbeddings.near(a, 0.5, rnd)).match());
            assertEquals("alice", s.identifyEmbedding(SyntheticEmbeddings.near(a, 0.5, rnd), 1).match().name());
        }
    }

    @Test
    void keysetWithoutGalleryHasNoGalleryKey(@TempDir Path tmp) {
        try (EmbeddedServer server = EmbeddedServer.in(tmp)) {
            KeysetSetup.Keys keys = KeysetSetup.create(server.url(), " ", false);
            assertNull(keys.gallerySecretKey());
            assertNull(keys.checks().galleryKeyCheck());
            assertEquals(0, keys.evaluationKeyBytes());
            assertTrue(!keys.http().galleryInfo().path("keys").asBoolean());
        }
    }

    /** A keyset whose gallery keys the server refused is deleted again: no keyset left that no key directory records. */
    @Test
    void refusedGalleryKeysDeleteTheNewKeyset() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        HttpServer fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        fake.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            String call = ex.getRequestMethod() + " " + ex.getRequestURI().getPath();
            calls.add(call);
            String body;
            int status;
            if (call.equals("POST /v1/keysets")) {
                status = 201;
                body = "{\"keyset\":\"k1\",\"token\":\"t1\",\"params\":\"p\"}";
            } else if (call.startsWith("PUT ") && call.endsWith("/gallery/keys")) {
                status = 413;
                body = "{\"error\":\"too_large\",\"message\":\"evaluation keys too large\"}";
            } else {
                status = 200;
                body = "{}";
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        fake.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + fake.getAddress().getPort());
            ClientException e = assertThrows(ClientException.class, () -> KeysetSetup.create(url, null, true));
            assertEquals(413, e.status());
            assertEquals("DELETE /v1/keysets/k1", calls.get(calls.size() - 1), "calls: " + calls);
        } finally {
            fake.stop(0);
        }
    }
}
