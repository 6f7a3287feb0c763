package io.picrypt.client.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The UI's local JSON API over loopback against a real server: flows, error mapping, and who may call it. */
class UiApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path data;
    static UiFixture f;

    @BeforeAll
    static void start() {
        f = new UiFixture(data, null);
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
    }

    static HttpResponse<String> call(String method, String path, Object body, String token, String origin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(f.base().resolve(path));
        if (token != null) b.header(UiServer.TOKEN_HEADER, token);
        if (origin != null) b.header("Origin", origin);
        if (body != null) b.header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body)));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> call(String method, String path, Object body) throws Exception {
        return call(method, path, body, f.ui.token(), null);
    }

    static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode n = JSON.readTree(r.body());
        assertEquals(code, n.path("error").asText(), r.body());
        assertFalse(n.path("message").asText().isBlank());
    }

    static String b64(byte[] b) { return "data:image/png;base64," + Base64.getEncoder().encodeToString(b); }

    static byte[] blankPng() throws Exception {
        BufferedImage i = new BufferedImage(200, 160, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ImageIO.write(i, "png", o);
        return o.toByteArray();
    }

    /** Sends raw bytes (for headers java.net.http will not let us set) and returns the status line. */
    static String raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", f.ui.port())) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            String text = new String(in.readNBytes(4096), StandardCharsets.ISO_8859_1);
            return text.lines().findFirst().orElse("");
        }
    }

    @Test
    void pageIsServedWithoutTokenButApiNeedsIt() throws Exception {
        HttpResponse<String> page = call("GET", "/", null, null, null);
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<script src=\"/app.js\""));
        assertFalse(page.body().contains(f.ui.token()), "the token must not be in the served page");
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("frame-ancestors 'none'"));
        assertEquals(200, call("GET", "/app.js", null, null, null).statusCode());
        assertEquals(200, call("GET", "/style.css", null, null, null).statusCode());

        assertError(call("GET", "/api/status", null, null, null), 403, "bad_token");
        assertError(call("GET", "/api/status", null, "0".repeat(48), null), 403, "bad_token");
        assertError(call("POST", "/api/verify", "{}", null, null), 403, "bad_token");
        assertTrue(f.ui.url().endsWith("/#token=" + f.ui.token()));
        // path tricks the router normalises (empty segments) must not skip the token check
        String host = "Host: 127.0.0.1:" + f.ui.port() + "\r\n";
        for (String path : new String[]{"//api/identities", "/api//identities", "//api/status", "/./api/status"}) {
            String status = raw("GET " + path + " HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
            assertFalse(status.contains(" 200 "), path + " answered without the token: " + status);
        }
    }

    @Test
    void foreignOriginAndHostAreRefused() throws Exception {
        assertError(call("GET", "/api/status", null, f.ui.token(), "http://evil.example"), 403, "forbidden_origin");
        ok(call("GET", "/api/status", null, f.ui.token(), "http://127.0.0.1:" + f.ui.port()));
        ok(call("GET", "/api/status", null, f.ui.token(), "http://localhost:" + f.ui.port()));
        // DNS rebinding: a hostile name resolving to 127.0.0.1 would send its own Host header
        String req = "GET /api/status HTTP/1.1\r\nHost: evil.example:" + f.ui.port() + "\r\n" + UiServer.TOKEN_HEADER + ": " + f.ui.token()
                + "\r\nConnection: close\r\n\r\n";
        assertTrue(raw(req).contains(" 403"), raw(req));
        String page = "GET / HTTP/1.1\r\nHost: evil.example:" + f.ui.port() + "\r\nConnection: close\r\n\r\n";
        assertTrue(raw(page).contains(" 403"));
        String good = "GET /api/status HTTP/1.1\r\nHost: localhost:" + f.ui.port() + "\r\n" + UiServer.TOKEN_HEADER + ": " + f.ui.token()
                + "\r\nConnection: close\r\n\r\n";
        assertTrue(raw(good).contains(" 200"), raw(good));
    }

    @Test
    void status() throws Exception {
        JsonNode s = ok(call("GET", "/api/status", null));
        assertTrue(s.path("reachable").asBoolean());
        assertEquals(f.http.keyset(), s.path("keyset").asText());
        assertEquals(f.pipeline.threshold(), s.path("threshold").asDouble());
        assertFalse(s.path("diffAvailable").asBoolean());
    }

    @Test
    void enrollVerifyIdentifyDelete() throws Exception {
        ObjectNode e = JSON.createObjectNode().put("name", "api person").put("replace", true);
        e.putArray("images").add(b64(f.people.get(2).png())).add(b64(f.genuineProbe(2)));
        JsonNode en = ok(call("POST", "/api/enroll", e));
        assertEquals(2, en.path("photos").asInt());
        assertEquals(1, en.path("templates").asInt());
        assertTrue(en.path("trace").path("requestBytes").asLong() > 0);

        ObjectNode v = JSON.createObjectNode().put("name", "api person").put("image", b64(f.genuineProbe(2)));
        JsonNode gen = ok(call("POST", "/api/verify", v));
        assertTrue(gen.path("match").asBoolean(), gen.toString());
        assertTrue(gen.path("distance").asDouble() < gen.path("threshold").asDouble());
        assertTrue(gen.path("trace").path("serverMs").asDouble() > 0);
        assertTrue(gen.path("face").path("x2").asDouble() > gen.path("face").path("x1").asDouble());

        v.put("image", b64(f.people.get(3).png()));
        JsonNode imp = ok(call("POST", "/api/verify", v));
        assertFalse(imp.path("match").asBoolean(), imp.toString());
        assertTrue(imp.path("distance").asDouble() > imp.path("threshold").asDouble());

        JsonNode id = ok(call("POST", "/api/identify", JSON.createObjectNode().put("image", b64(f.genuineProbe(2))).put("top", 3)));
        assertEquals("api person", id.path("match").asText());
        assertEquals("api person", id.path("ranked").get(0).path("name").asText());

        JsonNode list = ok(call("GET", "/api/identities", null));
        assertTrue(list.path("identities").toString().contains("api person"), list.toString());
        // enrolled through the page: in the gallery too, so neither imported (1:N only) nor missing from it
        assertEquals(0, list.path("gallery_only").asInt(-1), list.toString());
        assertEquals(0, list.path("not_in_gallery").size(), list.toString());
        assertTrue(list.path("gallery").asInt() >= 1, list.toString());
        ok(call("DELETE", "/api/identities/api%20person", null));
        assertError(call("DELETE", "/api/identities/api%20person", null), 404, "not_found");
        assertError(call("POST", "/api/verify", v), 404, "not_found");
    }

    /** A malicious server swapping two names' templates (issue 10, planted check values): 502, never a decision. */
    @Test
    void swappedTemplatesAre502NotAMatch() throws Exception {
        for (int i = 0; i < 2; i++) {
            ObjectNode e = JSON.createObjectNode().put("name", "swap " + i).put("replace", true);
            e.putArray("images").add(b64(f.people.get(i).png()));
            ok(call("POST", "/api/enroll", e));
        }
        ObjectNode v = JSON.createObjectNode().put("name", "swap 0").put("image", b64(f.genuineProbe(1)));
        assertFalse(ok(call("POST", "/api/verify", v)).path("match").asBoolean());
        byte[] t0 = f.server.store().templates(f.http.keyset(), "swap 0").get(0), t1 = f.server.store().templates(f.http.keyset(), "swap 1").get(0);
        f.http.enroll("swap 0", t1, true);
        f.http.enroll("swap 1", t0, true);
        HttpResponse<String> r = call("POST", "/api/verify", v);
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("bad_server_response", JSON.readTree(r.body()).path("error").asText(), r.body());
        assertTrue(JSON.readTree(r.body()).path("message").asText().contains("check values of 'swap 0'"), r.body());
        f.http.enroll("swap 0", t0, true);
        f.http.enroll("swap 1", t1, true);
        assertFalse(ok(call("POST", "/api/verify", v)).path("match").asBoolean());
    }

    /**
     * Round 3 of issue 10: the page's identify and every-face card confirm each MATCH against the name's checked 1:1
     * templates. A gallery slot holding another face under the name (what reordered names or swapped blocks look like to
     * the client) is a 502 bad_server_response, not a MATCH; a gallery-only identity is shown UNCONFIRMED with a warning.
     * On main before this round the mixed-up gallery named the wrong person (200, "match": "mix a").
     */
    @Test
    void galleryMixUpsAre502AndGalleryOnlyMatchesAreUnconfirmed() throws Exception {
        int n = f.people.size();
        assertTrue(n >= 9, "sample faces: " + n);
        int a = 8, b = 7, c = 5; // faces no other test of this class enrolls
        for (int[] e : new int[][]{{a, 'a'}, {b, 'b'}}) {
            ObjectNode en = JSON.createObjectNode().put("name", "mix " + (char) e[1]).put("replace", true);
            en.putArray("images").add(b64(f.people.get(e[0]).png()));
            ok(call("POST", "/api/enroll", en));
        }
        JsonNode id = ok(call("POST", "/api/identify", JSON.createObjectNode().put("image", b64(f.genuineProbe(a))).put("top", 3)));
        assertEquals("mix a", id.path("match").asText(), id.toString());
        assertTrue(id.path("confirmed").asBoolean(), id.toString());
        assertTrue(id.path("integrity_warning").isMissingNode(), id.toString());
        JsonNode all = ok(call("POST", "/api/identify-all", JSON.createObjectNode().put("image", b64(f.genuineProbe(a)))));
        assertEquals("mix a", all.path("faces").get(0).path("name").asText(), all.toString());
        assertTrue(all.path("faces").get(0).path("confirmed").asBoolean(), all.toString());

        // the gallery slot of 'mix a' now holds b's face (valid ciphertexts of the keyset, names intact)
        float[] faceB = f.pipeline.embedLargest(f.genuineProbe(b), "b").vector();
        assertTrue(f.http.deleteFromGallery("mix a"));
        f.session.enrollIntoGallery("mix a", faceB);
        for (String path : new String[]{"/api/identify", "/api/identify-all"}) {
            HttpResponse<String> r = call("POST", path, JSON.createObjectNode().put("image", b64(f.genuineProbe(b))));
            assertEquals(502, r.statusCode(), path + ": " + r.body());
            assertEquals("bad_server_response", JSON.readTree(r.body()).path("error").asText(), r.body());
            assertTrue(JSON.readTree(r.body()).path("message").asText().contains("its own 1:1 templates (checked)"), r.body());
        }
        assertTrue(f.http.deleteFromGallery("mix a"));
        f.session.enrollIntoGallery("mix a", f.pipeline.embedLargest(f.people.get(a).png(), "a").vector());
        id = ok(call("POST", "/api/identify", JSON.createObjectNode().put("image", b64(f.genuineProbe(b)))));
        assertEquals("mix b", id.path("match").asText(), id.toString());
        assertTrue(id.path("confirmed").asBoolean(), "restored: " + id);

        // a gallery-only identity: named, but UNCONFIRMED, with the reason in the warnings the page shows
        f.session.enrollIntoGallery("mix only", f.pipeline.embedLargest(f.people.get(c).png(), "c").vector());
        id = ok(call("POST", "/api/identify", JSON.createObjectNode().put("image", b64(f.genuineProbe(c)))));
        assertEquals("mix only", id.path("match").asText(), id.toString());
        assertFalse(id.path("confirmed").asBoolean(true), id.toString());
        assertTrue(id.path("integrity_warning").asText().contains("exists only in the 1:N gallery"), id.toString());
        assertEquals(id.path("integrity_warning").asText(), id.path("warnings").get(0).asText(), id.toString());
        all = ok(call("POST", "/api/identify-all", JSON.createObjectNode().put("image", b64(f.genuineProbe(c)))));
        assertEquals("mix only", all.path("faces").get(0).path("name").asText(), all.toString());
        assertFalse(all.path("faces").get(0).path("confirmed").asBoolean(true), all.toString());
        assertTrue(all.path("faces").get(0).path("integrity_warning").asText().contains("UNCONFIRMED"), all.toString());
        for (String name : new String[]{"mix a", "mix b", "mix only"}) assertTrue(f.http.deleteEverywhere(name).any(), name);
    }

    @Test
    void detectBoxesAndWarnings() throws Exception {
        byte[] group = Files.readAllBytes(UiFixture.modelsDir().resolve("samples/group-tracking.jpg"));
        JsonNode d = ok(call("POST", "/api/detect", JSON.createObjectNode().put("image", b64(group))));
        assertTrue(d.path("faces").size() > 1);
        assertTrue(d.path("width").asInt() > 0 && d.path("height").asInt() > 0);
        assertTrue(d.path("warnings").get(0).asText().contains("faces found"));

        JsonNode none = ok(call("POST", "/api/detect", JSON.createObjectNode().put("image", b64(blankPng()))));
        assertEquals(0, none.path("faces").size());
        assertTrue(none.path("warnings").get(0).asText().contains("no face"));

        ObjectNode e = JSON.createObjectNode().put("name", "group largest");
        e.putArray("images").add(b64(group));
        JsonNode en = ok(call("POST", "/api/enroll", e));
        assertTrue(en.path("warnings").get(0).asText().startsWith("photo 1: " + d.path("faces").size() + " faces"), en.toString());
        JsonNode v = ok(call("POST", "/api/verify", JSON.createObjectNode().put("name", "group largest").put("image", b64(group))));
        assertTrue(v.path("match").asBoolean());
        assertEquals(v.path("faceCount").asInt(), d.path("faces").size());
        assertTrue(v.path("warnings").get(0).asText().contains("largest"), v.toString());
    }

    @Test
    void aFaceTooSmallIsRefusedByTheQualityGate() throws Exception {
        BufferedImage src = ImageIO.read(new java.io.ByteArrayInputStream(f.people.get(2).png()));
        BufferedImage small = new BufferedImage(src.getWidth() / 4, src.getHeight() / 4, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = small.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, small.getWidth(), small.getHeight(), null);
        g.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(small, "png", png);
        HttpResponse<String> r = call("POST", "/api/verify", JSON.createObjectNode().put("name", "x").put("image", b64(png.toByteArray())));
        assertError(r, 422, "low_quality");
        assertTrue(JSON.readTree(r.body()).path("message").asText().contains("too small"), r.body());
    }

    @Test
    void clearErrors() throws Exception {
        assertError(call("POST", "/api/verify", JSON.createObjectNode().put("name", "x").put("image", b64(blankPng()))), 422, "no_face");
        assertError(call("POST", "/api/detect", JSON.createObjectNode().put("image", b64("hello, not an image".getBytes()))), 400, "not_an_image");
        assertError(call("POST", "/api/detect", JSON.createObjectNode().put("image", "data:image/png;base64,@@@")), 400, "not_an_image");
        assertError(call("POST", "/api/detect", JSON.createObjectNode()), 400, "bad_request");
        assertError(call("POST", "/api/verify", JSON.createObjectNode().put("image", b64(blankPng()))), 400, "bad_request");
        assertError(call("POST", "/api/enroll", JSON.createObjectNode().put("name", "x")), 400, "bad_request");
        assertError(call("POST", "/api/enroll", "{not json"), 400, "bad_request");
        assertError(call("POST", "/api/diff", JSON.createObjectNode()), 501, "diff_unavailable");
        assertEquals("image difference not available in this build",
                JSON.readTree(call("POST", "/api/diff", JSON.createObjectNode()).body()).path("message").asText());
        assertError(call("GET", "/api/nothing", null), 404, "not_found");
        // a hostile length field is refused before anything is read
        String req = "POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1:" + f.ui.port() + "\r\n" + UiServer.TOKEN_HEADER + ": " + f.ui.token()
                + "\r\nContent-Type: application/json\r\nContent-Length: 9000000000\r\nConnection: close\r\n\r\n{";
        assertTrue(raw(req).contains(" 413"), raw(req));
    }

    @Test
    void serverDownIsReported(@TempDir Path unused) throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        PiCryptClient dead = new PiCryptClient(URI.create("http://127.0.0.1:" + deadPort), "ks", "token");
        try (UiServer ui = new UiServer(dead, new MatchSession(dead, io.picrypt.match.MatchKeyOwner.generateSecretKey(), f.pipeline, 1.3),
                f.pipeline, new PlainDiffer()).start(0)) {
            HttpClient c = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + ui.port());
            HttpResponse<String> st = c.send(HttpRequest.newBuilder(base.resolve("/api/status")).header(UiServer.TOKEN_HEADER, ui.token()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertFalse(JSON.readTree(st.body()).path("reachable").asBoolean());
            assertTrue(JSON.readTree(st.body()).path("diffAvailable").asBoolean());
            HttpResponse<String> l = c.send(HttpRequest.newBuilder(base.resolve("/api/identities")).header(UiServer.TOKEN_HEADER, ui.token()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(502, l.statusCode());
            assertEquals("server_down", JSON.readTree(l.body()).path("error").asText());
            assertTrue(JSON.readTree(l.body()).path("message").asText().contains("cannot reach"));

            // the difference streams its progress, then only the difference (the page has both inputs)
            ObjectNode d = JSON.createObjectNode().put("before", b64(f.people.get(0).png())).put("after", b64(UiBrowserTest.marked(f.people.get(0).png())));
            HttpResponse<String> diff = c.send(HttpRequest.newBuilder(base.resolve("/api/diff")).header(UiServer.TOKEN_HEADER, ui.token())
                    .POST(HttpRequest.BodyPublishers.ofString(d.toString())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, diff.statusCode(), diff.body());
            assertEquals("application/x-ndjson", diff.headers().firstValue("Content-Type").orElse(""));
            List<JsonNode> lines = diff.body().lines().map(line -> { try { return JSON.readTree(line); } catch (Exception x) { throw new AssertionError(line, x); } }).toList();
            assertTrue(lines.size() >= 2, diff.body());
            assertEquals("plaintext difference (test double)", lines.get(0).path("phase").asText(), diff.body());
            assertEquals(4, lines.get(lines.size() - 2).path("done").asLong(), "the last progress line is 4 of 4");
            JsonNode result = lines.get(lines.size() - 1).path("result");
            assertTrue(result.path("difference").asText().startsWith("data:image/png;base64,"));
            assertFalse(result.has("before") || result.has("after"), "the inputs are not sent back");
            assertTrue(diff.body().length() < d.toString().length(), "the answer is smaller than the two inputs");
            // photos of different sizes: a plain 400 before any progress
            d.put("after", b64(f.genuineProbe(0)));
            HttpResponse<String> sizes = c.send(HttpRequest.newBuilder(base.resolve("/api/diff")).header(UiServer.TOKEN_HEADER, ui.token())
                    .POST(HttpRequest.BodyPublishers.ofString(d.toString())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, sizes.statusCode(), sizes.body());
            assertTrue(JSON.readTree(sizes.body()).path("message").asText().contains("differ in size"), sizes.body());
        }
    }

    @Test
    void enrollmentSafety() throws Exception {
        // two different people in one enrollment: 409, nothing stored; explicit override enrolls with a note
        ObjectNode mixed = JSON.createObjectNode().put("name", "mixed api");
        mixed.putArray("images").add(b64(f.people.get(0).png())).add(b64(f.genuineProbe(0))).add(b64(f.people.get(1).png()));
        HttpResponse<String> r = call("POST", "/api/enroll", mixed);
        assertError(r, 409, "mixed_photos");
        JsonNode body = JSON.readTree(r.body());
        assertEquals(2, body.path("pairs").size(), "photo 3 disagrees with photos 1 and 2: " + body);
        assertEquals(3, body.path("pairs").get(0).path("second").asInt());
        assertTrue(body.path("pairs").get(0).path("distance").asDouble() > body.path("threshold").asDouble());
        assertTrue(f.http.list().stream().noneMatch(i -> i.name().equals("mixed api")));
        // a safety override or the replace flag must be a JSON boolean: "true" or 1 used to override, replace:"no" to replace
        mixed.put("allowMixedPhotos", "true");
        assertError(call("POST", "/api/enroll", mixed), 400, "bad_request");
        mixed.put("allowMixedPhotos", 1);
        assertError(call("POST", "/api/enroll", mixed), 400, "bad_request");
        mixed.put("allowMixedPhotos", false).put("replace", "no");
        assertError(call("POST", "/api/enroll", mixed), 400, "bad_request");
        mixed.remove("replace");
        assertTrue(f.http.list().stream().noneMatch(i -> i.name().equals("mixed api")));
        mixed.put("allowMixedPhotos", true);
        JsonNode en = ok(call("POST", "/api/enroll", mixed));
        assertTrue(en.path("warnings").toString().contains("enrolled anyway"), en.toString());

        // a name keeps its face: replacing or adding a face that matches none of the templates is refused
        ObjectNode first = JSON.createObjectNode().put("name", "keeps face");
        first.putArray("images").add(b64(f.people.get(2).png()));
        ok(call("POST", "/api/enroll", first));
        ObjectNode other = JSON.createObjectNode().put("name", "keeps face").put("replace", true);
        other.putArray("images").add(b64(f.people.get(3).png()));
        r = call("POST", "/api/enroll", other);
        assertError(r, 409, "new_face");
        assertTrue(JSON.readTree(r.body()).path("distance").asDouble() > JSON.readTree(r.body()).path("threshold").asDouble());
        other.put("replace", false);
        assertError(call("POST", "/api/enroll", other), 409, "new_face");
        assertTrue(f.session.verifyPhoto("keeps face", f.people.get(2).png(), "the photo").result().match(), "the old template is untouched");
        // the same face again (another view) passes both rules
        ObjectNode same = JSON.createObjectNode().put("name", "keeps face").put("replace", false);
        same.putArray("images").add(b64(f.genuineProbe(2)));
        assertEquals(2, ok(call("POST", "/api/enroll", same)).path("templates").asInt());
        other.put("replace", true).put("allowNewFace", true);
        JsonNode replaced = ok(call("POST", "/api/enroll", other));
        assertEquals(1, replaced.path("templates").asInt());
        assertTrue(replaced.path("warnings").toString().contains("done anyway"), replaced.toString());
        assertTrue(f.session.verifyPhoto("keeps face", f.people.get(3).png(), "the photo").result().match());
    }

    @Test
    void smallerItems() throws Exception {
        // the browser asks for /favicon.ico on its own: no 403 (console error) but an empty answer; the page links an SVG
        assertEquals(204, call("GET", "/favicon.ico", null, null, null).statusCode());
        assertEquals(200, call("GET", "/favicon.svg", null, null, null).statusCode());
        // "Show top": whole numbers 1..100 only, never silently changed
        for (String bad : List.of("0", "-3", "2.5", "1000", "\"abc\"", "true")) {
            assertError(call("POST", "/api/identify", "{\"image\": \"" + b64(f.genuineProbe(2)) + "\", \"top\": " + bad + "}"), 400, "bad_request");
        }
        assertEquals(1, UiRequests.top(JSON.readTree("1")));
        assertEquals(100, UiRequests.top(JSON.readTree("100")));
        assertEquals(5, UiRequests.top(JSON.missingNode()));
        // names are exact; a differently-cased name is suggested, and no "server:" nor "(HTTP 404)" reaches the user
        ObjectNode e = JSON.createObjectNode().put("name", "Case Person");
        e.putArray("images").add(b64(f.people.get(6).png()));
        ok(call("POST", "/api/enroll", e));
        HttpResponse<String> r = call("POST", "/api/verify", JSON.createObjectNode().put("name", "case person").put("image", b64(f.people.get(6).png())));
        assertError(r, 404, "not_found");
        String m = JSON.readTree(r.body()).path("message").asText();
        assertTrue(m.contains("did you mean 'Case Person'?"), m);
        assertFalse(m.contains("HTTP") || m.startsWith("server"), m);
        assertEquals("no identity named 'x'", UiRequests.plain("server: no identity named 'x' (HTTP 404)"));
        // every bad photo of an enrollment is named, not only the first
        ObjectNode bad = JSON.createObjectNode().put("name", "three bad");
        bad.putArray("images").add(b64(blankPng())).add(b64(f.people.get(6).png())).add(b64("no image".getBytes())).add(b64(blankPng()));
        r = call("POST", "/api/enroll", bad);
        assertTrue(r.statusCode() == 422 || r.statusCode() == 400, r.body());
        m = JSON.readTree(r.body()).path("message").asText();
        assertTrue(m.startsWith("3 of 4 photos cannot be used"), m);
        assertTrue(m.contains("photo 1") && m.contains("photo 3") && m.contains("photo 4"), m);
        // delete says what it removed
        JsonNode del = ok(call("DELETE", "/api/identities/Case%20Person", null));
        assertEquals("Case Person", del.path("deleted").asText());
        assertTrue(del.path("templates").asBoolean());
    }

    @Test
    void busyPortIsAClearError() throws Exception {
        UiServer second = new UiServer(f.http, f.session, f.pipeline, null);
        var e = assertThrows(io.picrypt.client.ClientException.class, () -> second.start(f.ui.port()));
        assertTrue(e.getMessage().contains("cannot listen"), e.getMessage());
    }
}
