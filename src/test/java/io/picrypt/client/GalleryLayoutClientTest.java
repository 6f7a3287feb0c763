package io.picrypt.client;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An upgraded client in front of a server of the previous version (its gallery info has no "layout"): the old server
 * would store 256-value enrollments in its 512-value gallery without complaint, so the client sends nothing to its
 * gallery and says which side to upgrade. A current server (layout 2) is used as before.
 */
class GalleryLayoutClientTest {
    private static HttpServer server(String info, List<String> calls) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            calls.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
            ex.getRequestBody().readAllBytes();
            byte[] body = ex.getRequestMethod().equals("GET") ? info.getBytes(StandardCharsets.UTF_8)
                    : "{\"error\":\"x\",\"message\":\"the fake server stored it\"}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(ex.getRequestMethod().equals("GET") ? 200 : 201, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        return s;
    }

    @Test
    void nothingGoesToTheGalleryOfAServerOfAnOlderLayout() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        HttpServer s = server("{\"keys\":true,\"identities\":3,\"blocks\":1,\"stored_bytes\":10}", calls);
        try {
            PiCryptClient http = new PiCryptClient(URI.create("http://127.0.0.1:" + s.getAddress().getPort()), "ks_1", "token");
            for (Runnable write : new Runnable[]{() -> http.enrollIntoGallery("amy", new byte[64], false), () -> http.importGalleryBlock(new byte[64]),
                    () -> http.identifyGallery(new byte[64]), () -> http.identifyBatch(new byte[64]), () -> http.compactGallery(new byte[64])}) {
                ClientException e = assertThrows(ClientException.class, write::run);
                assertTrue(e.getMessage().contains("layout 1") && e.getMessage().contains("upgrade picrypt on the server before the clients")
                        && e.getMessage().contains("nothing was sent"), e.getMessage());
            }
            assertTrue(calls.stream().allMatch(c -> c.startsWith("GET ")), "only the gallery info was asked: " + calls);
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aServerOfThisLayoutIsAskedOnceAndThenUsed() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        HttpServer s = server("{\"keys\":true,\"identities\":3,\"blocks\":1,\"stored_bytes\":10,\"layout\":2}", calls);
        try {
            PiCryptClient http = new PiCryptClient(URI.create("http://127.0.0.1:" + s.getAddress().getPort()), "ks_1", "token");
            http.enrollIntoGallery("amy", new byte[64], false);
            http.enrollIntoGallery("bob", new byte[64], false);
            assertEquals(List.of("GET /v1/keysets/ks_1/gallery", "PUT /v1/keysets/ks_1/gallery/names/amy", "PUT /v1/keysets/ks_1/gallery/names/bob"), calls);
        } finally {
            s.stop(0);
        }
    }
    @Test
    void anEnrollmentStoresNoTemplateOnAServerOfAnOlderLayout() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        HttpServer s = server("{\"keys\":true,\"identities\":3,\"blocks\":1,\"stored_bytes\":10}", calls);
        try {
            PiCryptClient http = new PiCryptClient(URI.create("http://127.0.0.1:" + s.getAddress().getPort()), "ks_1", "token");
            MatchSession session = new MatchSession(http, io.picrypt.match.MatchKeyOwner.generateSecretKey(), GallerySessions.key(),
                    io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
            ClientException e = assertThrows(ClientException.class,
                    () -> session.enrollEmbedding("amy", io.picrypt.match.SyntheticEmbeddings.unit(new java.util.Random(1)), true));
            assertTrue(e.getMessage().contains("upgrade picrypt on the server before the clients"), e.getMessage());
            assertTrue(calls.stream().allMatch(c -> c.startsWith("GET ")), "nothing stored: " + calls);
        } finally {
            s.stop(0);
        }
    }
}
