package io.picrypt.client.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.client.PiCryptClient;
import io.picrypt.server.GalleryLayoutMigrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The page's API on a keyset whose 1:N gallery was stored by an earlier version (outdated): identify answers the server's
 * 409 {@code gallery_outdated} with its message (what to run), not a 502 {@code server_error}; the identities card is told
 * the gallery is outdated; Delete refuses before deleting anything. Its own fixture: the gallery is replaced.
 */
class UiOutdatedGalleryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path data;

    private static HttpResponse<String> call(UiFixture f, String method, String path, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(f.base().resolve(path)).header(UiServer.TOKEN_HEADER, f.ui.token());
        if (body != null) b.header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertOutdated(HttpResponse<String> r) throws Exception {
        assertEquals(409, r.statusCode(), r.body());
        JsonNode n = JSON.readTree(r.body());
        assertEquals("gallery_outdated", n.path("error").asText(), r.body());
        String m = n.path("message").asText();
        assertTrue(m.contains("picrypt gallery rebuild"), m);
        assertFalse(m.startsWith("server:") || m.contains("(HTTP 409)"), m);
    }

    @Test
    void anOutdatedGalleryIsReportedAsSuch() throws Exception {
        try (UiFixture f = new UiFixture(data, null)) {
            ObjectNode e = JSON.createObjectNode().put("name", "old timer").put("replace", true);
            e.putArray("images").add("data:image/png;base64," + Base64.getEncoder().encodeToString(f.people.get(1).png()));
            assertEquals(200, call(f, "POST", "/api/enroll", e).statusCode());
            JsonNode before = JSON.readTree(call(f, "GET", "/api/identities", null).body());
            assertFalse(before.has("outdated"), before.toString());

            GalleryLayoutMigrationTest.makeOutdated(f.server, f.http.keyset(), List.of("old timer", "imported one"), "pending one");

            HttpResponse<String> ids = call(f, "GET", "/api/identities", null);
            assertEquals(200, ids.statusCode(), ids.body());
            JsonNode list = JSON.readTree(ids.body());
            assertTrue(list.path("outdated").asBoolean(), list.toString());
            assertTrue(list.path("outdated_message").asText().contains("picrypt gallery rebuild"), list.toString());

            String probe = "data:image/png;base64," + Base64.getEncoder().encodeToString(f.genuineProbe(1));
            assertOutdated(call(f, "POST", "/api/identify", JSON.createObjectNode().put("image", probe).put("top", 3)));
            // Delete: refused before the 1:1 templates go (else the migration would take the name for a gallery-only one)
            assertOutdated(call(f, "DELETE", "/api/identities/old%20timer", null));
            assertEquals(List.of("old timer"), f.http.list().stream().map(PiCryptClient.Identity::name).toList());
        }
    }
}
