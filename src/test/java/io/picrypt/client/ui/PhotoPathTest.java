package io.picrypt.client.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.client.MatchSession;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FaceException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one photo path: MatchSession's photo methods, which the web page's routes and the CLI both use. */
class PhotoPathTest {
    @TempDir
    static Path data;
    static UiFixture f;

    @BeforeAll
    static void start() {
        f = new UiFixture(data, null);
        f.session.enrollImages("photo path", java.util.List.of(f.people.get(1).png()), true);
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
    }

    /**
     * The trace's parts are disjoint intervals of the call, so they add up to at most its wall time. The CLI's photo
     * path used to take the embedding time after the whole verification, so embedMs included the round trip again.
     */
    @Test
    void verifyPhotoCarriesTheFaceUsedAndDisjointTimings() {
        byte[] probe = f.genuineProbe(1);
        long t0 = System.nanoTime();
        MatchSession.OnPhoto<MatchSession.Verification> r = f.session.verifyPhoto("photo path", probe, "the photo");
        double wallMs = (System.nanoTime() - t0) / 1e6;
        assertTrue(r.result().match(), r.toString());
        MatchSession.Trace t = r.result().trace();
        assertTrue(t.embedMs() > 0 && t.encryptMs() > 0 && t.serverMs() > 0 && t.decryptMs() > 0, t.toString());
        double parts = t.embedMs() + t.encryptMs() + t.serverMs() + t.decryptMs();
        assertTrue(parts <= wallMs, "parts " + parts + " ms > wall " + wallMs + " ms: " + t);
        var detected = f.pipeline.detect(probe);
        assertEquals(1, detected.size(), "the probe is a crop of one face");
        assertEquals(detected.get(0).box(), r.face().face().box(), "the face used is the one detected");
        assertEquals(1, r.face().faceCount());
    }

    @Test
    void identifyPhotoCarriesTheFaceUsedAndDisjointTimings() {
        long t0 = System.nanoTime();
        MatchSession.OnPhoto<MatchSession.Identification> r = f.session.identifyPhoto(f.genuineProbe(1), "the photo", 3);
        double wallMs = (System.nanoTime() - t0) / 1e6;
        assertEquals("photo path", r.result().match().name());
        MatchSession.Trace t = r.result().trace();
        assertTrue(t.embedMs() > 0, t.toString());
        assertTrue(t.embedMs() + t.encryptMs() + t.serverMs() + t.decryptMs() <= wallMs, t + " vs wall " + wallMs);
        assertTrue(r.face().face().box().width() > 0);
    }

    /** The page's verify answer is the photo path's: same face, same decision, trace from the session. */
    @Test
    void thePagesVerifyGoesThroughThePhotoPath() throws Exception {
        byte[] probe = f.genuineProbe(1);
        ObjectNode body = UiApiTest.JSON.createObjectNode().put("name", "photo path").put("image", java.util.Base64.getEncoder().encodeToString(probe));
        var res = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(f.base().resolve("/api/verify"))
                .header(UiServer.TOKEN_HEADER, f.ui.token()).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body.toString())).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode(), res.body());
        JsonNode page = UiApiTest.JSON.readTree(res.body());
        MatchSession.OnPhoto<MatchSession.Verification> direct = f.session.verifyPhoto("photo path", probe, "the photo");
        FaceBox b = direct.face().face().box();
        assertEquals(b.x1(), page.path("face").path("x1").floatValue(), 1e-3);
        assertEquals(b.y2(), page.path("face").path("y2").floatValue(), 1e-3);
        assertEquals(direct.result().match(), page.path("match").asBoolean());
        assertEquals(direct.result().distance(), page.path("distance").asDouble(), 1e-3); // fresh encryptions differ by noise only
        assertTrue(page.path("trace").path("embedMs").asDouble() > 0);
    }

    @Test
    void everyFaceOfAPhotoInDetectionOrderAndNoFaceIsRefused() throws Exception {
        byte[] group = Files.readAllBytes(UiFixture.modelsDir().resolve("samples/group-tracking.jpg"));
        MatchSession.PhotoFaces r = f.session.identifyFaces(group, "the group", 1, null);
        int detected = f.pipeline.detect(group).size();
        assertTrue(detected > 1);
        assertEquals(detected, r.faces().size());
        assertEquals(detected, r.probes());
        assertEquals(1, r.batch().requests());
        assertTrue(r.width() > 0 && r.height() > 0 && r.embedMs() > 0);
        r.faces().forEach(x -> assertNull(x.liveness()));

        // a liveness check that refuses every face: nothing is sent
        MatchSession.PhotoFaces none = f.session.identifyFaces(group, "the group", 1,
                (img, box) -> new io.picrypt.face.FaceAnalyzer.Liveness(0.1, 0.5, false, new double[]{0.9, 0.1}));
        assertNull(none.batch());
        assertTrue(none.faces().stream().allMatch(MatchSession.FaceIdentification::refused));

        FaceException e = assertThrows(FaceException.class, () -> f.session.identifyFaces(UiApiTest.blankPng(), "the blank photo", 1, null));
        assertEquals(FaceException.Reason.NO_FACE, e.reason());
        assertEquals("no face found in the blank photo", e.getMessage());
    }
}
