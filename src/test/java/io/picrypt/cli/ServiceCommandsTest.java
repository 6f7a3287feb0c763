package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.*;

/** The demo and bench service commands end to end (embedded server on loopback). */
class ServiceCommandsTest {
    static Object[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = System.out, e = System.err;
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            return new Object[]{Main.run(args), out.toString(), err.toString()};
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    @Test
    void demoRunsEndToEnd(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        Object[] r = run("demo", "--models", System.getProperty("picrypt.models", "models"), "--gallery-size", "2000",
                "--out", tmp.toString());
        String out = (String) r[1];
        assertEquals(0, r[0], out + r[2]);
        assertTrue(out.contains("-> MATCH"), out);
        assertTrue(out.contains("-> NO MATCH"), out);
        assertTrue(out.contains("client decided: identified as"), out);
        assertTrue(out.contains("8. 1:N at scale") && out.contains("(2,009 identities)"), out);
        assertTrue(out.contains("exact pixel for pixel: yes"), out);
        assertTrue(java.nio.file.Files.exists(tmp.resolve("difference.png")));
    }

    @Test
    void diffCommandWritesTheExactAbsoluteDifference(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        try (var server = new io.picrypt.server.PiCryptServer(io.picrypt.server.ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String keys = tmp.resolve("keys").toString(), url = "http://127.0.0.1:" + server.port();
            assertEquals(0, run("keys", "init", "--keys", keys, "--server", url)[0]);
            var pair = io.picrypt.imagediff.SyntheticPair.generate(120, 80, 9);
            java.nio.file.Path[] f = pair.writeTo(tmp);
            java.nio.file.Path out = tmp.resolve("d.png");
            Object[] r = run("diff", "--keys", keys, "--quiet", f[0].toString(), f[1].toString(), "-o", out.toString());
            assertEquals(0, r[0], (String) r[2]);
            var got = io.picrypt.imagediff.PngFiles.read(out);
            var expect = io.picrypt.imagediff.DiffImage.plain(pair.before(), pair.after()).absolute();
            assertArrayEquals(expect.samples(), got.samples());
            // different sizes: a clear error, exit 2
            var other = io.picrypt.imagediff.SyntheticPair.generate(60, 40, 1);
            java.nio.file.Path small = tmp.resolve("small.png");
            io.picrypt.imagediff.ImageFiles.writePng(other.before(), small);
            r = run("diff", "--keys", keys, "--quiet", f[0].toString(), small.toString(), "-o", out.toString());
            assertEquals(Main.EXIT_ERROR, r[0]);
            assertTrue(((String) r[2]).contains("size"), (String) r[2]);
            java.nio.file.Files.writeString(tmp.resolve("x.png"), "not an image");
            r = run("diff", "--keys", keys, "--quiet", f[0].toString(), tmp.resolve("x.png").toString(), "-o", out.toString());
            assertEquals(Main.EXIT_ERROR, r[0]);
            // a directory as the output: refused before any work, in words (was a FileNotFoundException after the round trip)
            r = run("diff", "--keys", keys, "--quiet", f[0].toString(), f[1].toString(), "-o", tmp.toString());
            assertEquals(Main.EXIT_ERROR, r[0]);
            assertTrue(((String) r[2]).contains("it is a directory") && !((String) r[2]).contains("Exception"), (String) r[2]);
        }
    }

    @Test
    void importAPhotoDirectoryIntoTheGalleryAndIdentify(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path models = java.nio.file.Path.of(System.getProperty("picrypt.models", "models"));
        java.util.List<io.picrypt.face.SampleFaces.Sample> samples;
        try (var p = io.picrypt.face.FacePipeline.open(models)) {
            samples = io.picrypt.face.SampleFaces.crops(p, models.resolve("samples"));
        }
        java.nio.file.Path dir = java.nio.file.Files.createDirectories(tmp.resolve("watchlist"));
        for (int i = 0; i < 5; i++) java.nio.file.Files.write(dir.resolve("suspect-" + i + ".png"), samples.get(i).png());
        java.nio.file.Files.writeString(dir.resolve("notes.txt"), "ignored");
        java.nio.file.Path probe = tmp.resolve("probe.png");
        java.nio.file.Files.write(probe, new io.picrypt.face.SampleFaces.Variation(true, 3, 0.95, 5).apply(samples.get(2).png()));
        try (var server = new io.picrypt.server.PiCryptServer(io.picrypt.server.ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String keys = tmp.resolve("keys").toString(), url = "http://127.0.0.1:" + server.port();
            assertEquals(0, run("keys", "init", "--keys", keys, "--server", url)[0]);
            Object[] r = run("import", "--keys", keys, "--models", models.toString(), dir.toString());
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[1]).contains("imported 5 identities"), (String) r[1]);
            r = run("identify", "--keys", keys, "--models", models.toString(), probe.toString());
            // imported identities have no 1:1 template to confirm a match against: named, but UNCONFIRMED (exit 4)
            assertEquals(IdentifyCommand.EXIT_UNCONFIRMED, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).startsWith("identified (UNCONFIRMED): suspect-2"), (String) r[1]);
            assertTrue(((String) r[2]).contains("exists only in the 1:N gallery"), (String) r[2]);
            // one more person into the gallery through the server's expansion
            java.nio.file.Path newcomer = tmp.resolve("newcomer.png");
            java.nio.file.Files.write(newcomer, samples.get(6).png());
            r = run("enroll", "--keys", keys, "--models", models.toString(), "--gallery", "--name", "newcomer", newcomer.toString());
            assertEquals(0, r[0], (String) r[2]);
            java.nio.file.Path probe2 = tmp.resolve("probe2.png");
            java.nio.file.Files.write(probe2, new io.picrypt.face.SampleFaces.Variation(false, -4, 1.05, 0).apply(samples.get(6).png()));
            r = run("identify", "--keys", keys, "--models", models.toString(), probe2.toString());
            assertEquals(IdentifyCommand.EXIT_UNCONFIRMED, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).startsWith("identified (UNCONFIRMED): newcomer"), (String) r[1]);
            r = run("list", "--keys", keys, "--gallery-names");
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[1]).contains("suspect-0\t1:N only") && ((String) r[1]).contains("6 identities in the 1:N gallery"), (String) r[1]);
            r = run("delete", "--keys", keys, "--name", "suspect-2");
            assertEquals(0, r[0], (String) r[2]);
            r = run("identify", "--keys", keys, "--models", models.toString(), probe.toString());
            assertEquals(1, r[0], "deleted from the gallery: unknown now. " + r[1]);
            assertEquals(2, run("delete", "--keys", keys, "--name", "nobody")[0]);
        }
    }

    @Test
    void anEmptyPassphraseIsRefusedNotTakenAsNone(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        // Enter at the prompt (or --passphrase=) used to store the key unsealed, saying so only by a missing word
        String keys = tmp.resolve("k").toString();
        Object[] r = run("keys", "init", "--keys", keys, "--server", "http://127.0.0.1:9", "--passphrase=");
        assertEquals(Main.EXIT_ERROR, r[0], r[1] + " " + r[2]);
        assertTrue(((String) r[2]).contains("an empty passphrase protects nothing"), (String) r[2]);
        assertTrue(!java.nio.file.Files.exists(tmp.resolve("k").resolve(io.picrypt.client.KeyDirectory.SECRET_FILE)), "nothing created");
    }

    @Test
    void identifyTopOutsideOneToAHundredIsRefused() {
        for (String top : new String[]{"0", "-3", "101"}) {
            Object[] r = run("identify", "--top", top, "no-such-photo.png");
            assertEquals(Main.EXIT_ERROR, r[0], top);
            assertTrue(((String) r[2]).contains("--top must be a whole number from 1 to 100, got " + top), (String) r[2]);
        }
    }

    @Test
    void listShowsANameTheGalleryLacksAndHowToAddIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        // an enrollment interrupted between its 1:1 upload and its gallery step leaves a name identify cannot find: list says so
        try (var server = new io.picrypt.server.PiCryptServer(io.picrypt.server.ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String keys = tmp.resolve("keys").toString(), url = "http://127.0.0.1:" + server.port(), models = System.getProperty("picrypt.models", "models");
            assertEquals(0, run("keys", "init", "--keys", keys, "--server", url)[0]);
            java.util.List<io.picrypt.face.SampleFaces.Sample> samples;
            try (var p = io.picrypt.face.FacePipeline.open(java.nio.file.Path.of(models))) {
                samples = io.picrypt.face.SampleFaces.crops(p, java.nio.file.Path.of(models, "samples"));
            }
            for (int i = 0; i < 2; i++) {
                java.nio.file.Path photo = tmp.resolve("p" + i + ".png");
                java.nio.file.Files.write(photo, samples.get(i).png());
                Object[] r = run("enroll", "--keys", keys, "--models", models, "--name", "person-" + i, photo.toString());
                assertEquals(0, r[0], (String) r[2]);
            }
            Object[] r = run("list", "--keys", keys);
            assertTrue(((String) r[1]).contains("person-0\t1 template(s)") && ((String) r[1]).contains("\t1:1 + 1:N"), (String) r[1]);
            assertTrue(((String) r[1]).contains("2 identities with 1:1 templates, 2 of them also in the 1:N gallery"), (String) r[1]);
            var cfg = new io.picrypt.client.KeyDirectory(java.nio.file.Path.of(keys)).readConfig();
            assertTrue(new io.picrypt.client.PiCryptClient(cfg).deleteFromGallery("person-1"), "the gallery step undone");
            r = run("list", "--keys", keys);
            String out = (String) r[1];
            assertTrue(out.lines().anyMatch(l -> l.startsWith("person-1\t") && l.endsWith("1:1 only (not in the 1:N gallery)")), out);
            assertTrue(out.contains("2 identities with 1:1 templates, 1 of them also in the 1:N gallery"), out);
            assertTrue(out.contains("1 of them cannot be found by identify") && out.contains("'picrypt gallery rebuild' adds them"), out);
            r = run("gallery", "rebuild", "--keys", keys);
            assertEquals(0, r[0], (String) r[2]);
            out = (String) run("list", "--keys", keys)[1];
            assertTrue(out.contains("2 of them also in the 1:N gallery") && !out.contains("cannot be found by identify"), out);
        }
    }

    @Test
    void galleryRebuildNeedsAGalleryKeyAndReportsWhatItDid(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        try (var server = new io.picrypt.server.PiCryptServer(io.picrypt.server.ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String keys = tmp.resolve("keys").toString(), url = "http://127.0.0.1:" + server.port();
            assertEquals(0, run("keys", "init", "--keys", keys, "--server", url)[0]);
            Object[] r = run("gallery", "rebuild", "--keys", keys);
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[1]).contains("0 identities added from their templates, 0 already there"), (String) r[1]);
            java.nio.file.Files.delete(tmp.resolve("keys").resolve(io.picrypt.client.KeyDirectory.GALLERY_SECRET_FILE));
            r = run("gallery", "rebuild", "--keys", keys);
            assertEquals(Main.EXIT_ERROR, r[0]);
            assertTrue(((String) r[2]).contains("no gallery key"), (String) r[2]);
        }
    }

    /**
     * One identification path: a key directory made before the gallery (secret key, no gallery.key; keyset without
     * gallery keys) gets exit 2 on identify with what to run; 'gallery init' + 'gallery rebuild' make the identity
     * enrolled before identifiable, with the same keyset.
     */
    @Test
    void anOldKeyDirectoryIsToldWhatToRunAndGalleryInitRepairsIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path models = java.nio.file.Path.of(System.getProperty("picrypt.models", "models"));
        java.util.List<io.picrypt.face.SampleFaces.Sample> samples;
        try (var p = io.picrypt.face.FacePipeline.open(models)) {
            samples = io.picrypt.face.SampleFaces.crops(p, models.resolve("samples"));
        }
        java.nio.file.Path photo = tmp.resolve("carol.png"), probe = tmp.resolve("probe.png");
        java.nio.file.Files.write(photo, samples.get(3).png());
        java.nio.file.Files.write(probe, new io.picrypt.face.SampleFaces.Variation(true, 3, 0.95, 5).apply(samples.get(3).png()));
        try (var server = new io.picrypt.server.PiCryptServer(io.picrypt.server.ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            java.net.URI url = java.net.URI.create("http://127.0.0.1:" + server.port());
            // the key directory as versions before the gallery wrote it
            var dir = new io.picrypt.client.KeyDirectory(tmp.resolve("keys"));
            var sk = io.picrypt.match.MatchKeyOwner.generateSecretKey();
            dir.writeSecretKey(sk, null, false);
            var ks = io.picrypt.client.PiCryptClient.createKeyset(url, io.picrypt.match.MatchParameters.get().fingerprintHex());
            dir.writeConfig(new io.picrypt.client.ClientConfig(url, ks.id(), ks.token(), ks.params()));
            String keys = dir.dir().toString();
            Object[] r = run("enroll", "--keys", keys, "--models", models.toString(), "--name", "carol", photo.toString());
            assertEquals(0, r[0], (String) r[2]);
            assertTrue((r[1] + " " + r[2]).contains("gallery init"), "enrollment warns that identify will not find it: " + r[1] + r[2]);
            r = run("identify", "--keys", keys, "--models", models.toString(), probe.toString());
            assertEquals(Main.EXIT_ERROR, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[2]).contains("picrypt gallery init") && ((String) r[2]).contains("picrypt gallery rebuild"), (String) r[2]);
            assertFalse(((String) r[2]).contains("at io.picrypt"), "no stack trace");
            assertEquals(0, run("verify", "--keys", keys, "--models", models.toString(), "--name", "carol", probe.toString())[0], "1:1 unchanged");

            r = run("gallery", "init", "--keys", keys);
            assertEquals(0, r[0], (String) r[2]);
            assertEquals(Main.EXIT_ERROR, run("gallery", "init", "--keys", keys)[0], "a second init is refused");
            r = run("gallery", "rebuild", "--keys", keys);
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[1]).contains("1 identities added from their templates"), (String) r[1]);
            r = run("identify", "--keys", keys, "--models", models.toString(), probe.toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).startsWith("identified: carol"), (String) r[1]);
            assertEquals(ks.id(), dir.readConfig().keyset(), "the same keyset");
        }
    }

    @Test
    void benchServiceJsonHasTheIssueKeys() throws Exception {
        Object[] r = run("bench", "service", "--identities", "20", "--runs", "1", "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode j = new ObjectMapper().readTree((String) r[1]);
        assertEquals(20, j.get("identities").asInt());
        for (String k : new String[]{"verify_server_ms", "identify_server_ms"}) {
            assertTrue(j.get(k).get("median").asDouble() > 0 && j.get(k).get("min").asDouble() > 0, k);
        }
        for (String k : new String[]{"enroll_server_ms", "probe_bytes", "identify_response_bytes", "verify_request_bytes",
                "verify_response_bytes", "enroll_request_bytes", "storage_bytes_per_identity"}) {
            assertTrue(j.get(k).asDouble() > 0, k);
        }
        assertTrue(j.get("decisions_match_plaintext").asBoolean());
    }
}
