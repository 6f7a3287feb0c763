package io.picrypt.cli;

import io.picrypt.face.FacePipeline;
import io.picrypt.face.SampleFaces;
import io.picrypt.image.ImageLoader;
import io.picrypt.image.Pixels;
import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.ROTATE_90_CLOCKWISE;
import static org.bytedeco.opencv.global.opencv_core.rotate;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 12 end to end through the CLI against a real server: one decoder for diff and face, formats, import
 * that skips and lists, look-alike names, the key directory, keys init --force. Inputs are built here from the
 * sample photos the build fetched (models/samples).
 */
class RealWorldInputTest {
    static final Path MODELS = Path.of(System.getProperty("picrypt.models", "models"));
    @TempDir
    static Path tmp;
    static PiCryptServer server;
    static String keys, url;
    static byte[] photo; // the portrait sample, JPEG

    static Object[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = System.out, e = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Object[]{Main.run(args), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        server = new PiCryptServer(ServerConfig.defaults(tmp.resolve("data"), 0)).start();
        keys = tmp.resolve("keys").toString();
        url = "http://127.0.0.1:" + server.port();
        Object[] r = run("keys", "init", "--keys", keys, "--server", url);
        assertEquals(0, r[0], (String) r[2]);
        photo = Files.readAllBytes(MODELS.resolve("samples").resolve("portrait-facedetection.jpg"));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static byte[] encode(Mat m, String ext) {
        BytePointer buf = new BytePointer();
        assertTrue(imencode(ext, m, buf), ext);
        byte[] b = new byte[(int) buf.limit()];
        buf.get(b);
        return b;
    }

    static Path write(String name, byte[] b) throws Exception {
        return Files.write(tmp.resolve(name), b);
    }

    static Object[] diff(Path a, Path b) {
        return run("diff", "--keys", keys, "--quiet", a.toString(), b.toString(), "-o", tmp.resolve("d.png").toString());
    }

    // ---------------------------------------------------------------- item 1: diff decodes like the face path

    @Test
    void diffRefusesTruncatedPhotosLikeTheFacePath() throws Exception {
        Path whole = write("whole.jpg", photo);
        Path cut60 = write("cut60.jpg", Arrays.copyOf(photo, photo.length * 6 / 10));
        Path cut600 = write("cut600.jpg", Arrays.copyOf(photo, 600));
        for (Path cut : List.of(cut60, cut600)) {
            Object[] r = diff(whole, cut);
            assertEquals(Main.EXIT_ERROR, r[0], "truncated " + cut + ": " + r[1]);
            assertTrue(((String) r[2]).contains("truncated or damaged"), (String) r[2]);
            r = run("detect", "--models", MODELS.toString(), cut.toString());
            assertEquals(Main.EXIT_ERROR, r[0], "the face path refuses it too");
        }
    }

    @Test
    void diffAppliesTheExifOrientationTag() throws Exception {
        Path a = write("o1.jpg", photo);
        Path tagged = write("o6.jpg", io.picrypt.image.ImageLoaderTest.withExifOrientation(photo, 1)); // tag says "as stored"
        Object[] r = diff(a, tagged);
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).contains(" 0 of "), "a copy that differs only by an Orientation=1 tag has no changed pixels: " + r[1]);
        // stored turned by 90 degrees with Orientation=8 (rotate back when displayed): the same photo as displayed
        byte[] turned;
        try (PointerScope s = new PointerScope()) {
            Mat m = new ImageLoader().decode(photo, "p"), t = new Mat();
            rotate(m, t, ROTATE_90_CLOCKWISE);
            turned = io.picrypt.image.ImageLoaderTest.withExifOrientation(encode(t, ".jpg"), 8);
        }
        Path sideways = write("sideways.jpg", turned);
        r = diff(a, sideways);
        assertEquals(0, r[0], "same size once the tag is applied: " + r[2]);
    }

    @Test
    void colourAgainstAGreyCopyIsComparedAndSaysSo() throws Exception {
        byte[] grey;
        try (PointerScope s = new PointerScope()) {
            Mat m = new ImageLoader().decode(photo, "p"), g = new Mat();
            cvtColor(m, g, COLOR_BGR2GRAY);
            grey = encode(g, ".png");
        }
        Object[] r = diff(write("colour.jpg", photo), write("grey.png", grey));
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[2]).contains("greyscale") && ((String) r[2]).contains("compared as RGB"), (String) r[2]);
        assertTrue(((String) r[1]).contains("pixels changed") && ((String) r[1]).contains("samples)"), "pixels and samples named apart: " + r[1]);
        // a real size difference names both sizes
        byte[] small;
        try (PointerScope s = new PointerScope()) {
            Mat m = new ImageLoader().decode(photo, "p");
            small = encode(m.apply(new org.bytedeco.opencv.opencv_core.Rect(0, 0, 100, 80)).clone(), ".png");
        }
        r = diff(write("colour2.jpg", photo), write("small.png", small));
        assertEquals(Main.EXIT_ERROR, r[0]);
        assertTrue(((String) r[2]).contains("100x80"), (String) r[2]);
    }

    // ---------------------------------------------------------------- item 2: formats for the face path and diff

    @Test
    void gifPgmPpmTiffWorkForFaceAndDiff() throws Exception {
        Mat colour;
        try (PointerScope s = new PointerScope()) {
            colour = new ImageLoader().decode(photo, "p").clone();
            Mat grey = new Mat();
            cvtColor(colour, grey, COLOR_BGR2GRAY);
            for (String ext : List.of(".gif", ".pgm", ".ppm", ".tif")) {
                Path f = write("face" + ext, encode(ext.equals(".pgm") ? grey : colour, ext));
                Object[] r = run("detect", "--models", MODELS.toString(), f.toString());
                assertEquals(0, r[0], ext + ": " + r[2]);
                assertTrue(((String) r[1]).contains("251x300") && !((String) r[1]).contains(" 0 face"), ext + ": " + r[1]);
                r = diff(write("same" + ext, Files.readAllBytes(f)), f);
                assertEquals(0, r[0], ext + ": " + r[2]);
                assertTrue(((String) r[1]).contains(" 0 of "), ext + ": " + r[1]);
            }
        }
        byte[] heic = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0};
        Object[] r = run("detect", "--models", MODELS.toString(), write("IMG_1.HEIC", heic).toString());
        assertEquals(Main.EXIT_ERROR, r[0]);
        assertTrue(((String) r[2]).contains("HEIC"), (String) r[2]);
    }

    // ---------------------------------------------------------------- items 3, 4: names and import

    @Test
    void importSkipsAndListsWhatItCannotUseAndImportsTheRest() throws Exception {
        List<SampleFaces.Sample> samples;
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            samples = SampleFaces.crops(p, MODELS.resolve("samples"));
        }
        Path dir = Files.createDirectories(tmp.resolve("people"));
        Files.write(dir.resolve("alice.png"), samples.get(0).png());
        Files.write(dir.resolve("bob.png"), samples.get(1).png());
        Files.write(dir.resolve("Col\u00B7lell.png"), samples.get(2).png());           // Catalan middle dot: fine
        Files.write(dir.resolve("\u0905\u0928\u093F\u0930\u0941\u0926\u094D\u0927.png"), samples.get(3).png()); // Devanagari: fine
        Files.write(dir.resolve("-carol.png"), samples.get(4).png());                   // starts with punctuation: bad name
        Files.write(dir.resolve("\u0430lice.png"), samples.get(5).png());               // Cyrillic а in a Latin name: mixed scripts
        Files.write(dir.resolve("cope.png"), samples.get(6).png()); // not 'pace': another test enrolls that one 1:1 (issue 18 would skip it)
        Files.write(dir.resolve("\u0441\u043E\u0440\u0435.png"), samples.get(7).png()); // all Cyrillic "соре": looks like cope
        Files.write(dir.resolve("broken.jpg"), Arrays.copyOf(photo, 600));              // truncated
        byte[] blank;
        try (PointerScope s = new PointerScope()) {
            blank = encode(new Mat(120, 120, org.bytedeco.opencv.global.opencv_core.CV_8UC3, new org.bytedeco.opencv.opencv_core.Scalar(90, 90, 90, 0)), ".png");
        }
        Files.write(dir.resolve("nobody.png"), blank);                                 // no face
        Object[] r = run("import", "--keys", keys, "--models", MODELS.toString(), dir.toString());
        String out = (String) r[1], err = (String) r[2];
        assertEquals(0, r[0], err);
        assertTrue(out.contains("imported 5 identities") && out.contains("skipped 5"), out + err);
        for (String s : List.of("skipped -carol.png: bad name", "skipped \u0430lice.png: bad name: the name mixes scripts",
                "looks like 'cope'",
                "skipped broken.jpg:", "skipped nobody.png:")) {
            assertTrue(err.contains(s), s + " in\n" + err);
        }
        // a second import with a name already in the gallery and a look-alike of it: the server refuses those two,
        // the others go in
        Path dir2 = Files.createDirectories(tmp.resolve("people2"));
        Files.write(dir2.resolve("bob.png"), samples.get(1).png());
        Files.write(dir2.resolve("BOB.png"), samples.get(2).png());
        Files.write(dir2.resolve("dave.png"), samples.get(3).png());
        r = run("import", "--keys", keys, "--models", MODELS.toString(), dir2.toString());
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).contains("imported 1 identities"), r[1] + " " + r[2]);
        assertTrue(((String) r[2]).contains("skipped bob: refused by the server") || ((String) r[2]).contains("skipped BOB"), (String) r[2]);
        r = run("list", "--keys", keys, "--gallery-names");
        assertTrue(((String) r[1]).contains("dave") && ((String) r[1]).contains("Col\u00B7lell"), (String) r[1]);
    }

    @Test
    void namesInEveryScriptEnrollAndLookAlikesAreRefused() throws Exception {
        Path face;
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            face = write("enroll.png", SampleFaces.crops(p, MODELS.resolve("samples")).get(0).png());
        }
        String decomposed = java.text.Normalizer.normalize("Zo\u00EB", java.text.Normalizer.Form.NFD);
        for (String name : List.of("\u0BA4\u0BAE\u0BBF\u0BB4\u0BCD\u0B9A\u0BC6\u0BB2\u0BCD\u0BB5\u0BBF", "\u0E2A\u0E38\u0E14\u0E32\u0E23\u0E31\u0E15\u0E19\u0E4C",
                "\u30B8\u30E7\u30F3\u30FB\u30B9\u30DF\u30B9", "Aoife O\u2019Brien", decomposed, "erin")) {
            Object[] r = run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", name, face.toString());
            assertEquals(0, r[0], name + ": " + r[2]);
        }
        Object[] r = run("verify", "--keys", keys, "--models", MODELS.toString(), "--name", "Zo\u00EB", face.toString());
        assertEquals(0, r[0], "the decomposed enrollment is found under the composed name: " + r[1] + r[2]);
        assertFalse(((String) r[1]).contains("-0.0000"), (String) r[1]);
        assertEquals(0, run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", "pace", face.toString())[0]);
        for (String[] lookalike : List.of(new String[]{"ERIN", "erin"}, new String[]{"\uFF45\uFF52\uFF49\uFF4E", "erin"}, // upper case, full width
                new String[]{"\u0440\u0430\u0441\u0435", "pace"})) { // all-Cyrillic "расе"
            r = run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", lookalike[0], face.toString());
            assertEquals(Main.EXIT_ERROR, r[0], lookalike[0]);
            assertTrue(((String) r[2]).contains("looks like the existing name '" + lookalike[1] + "'"), (String) r[2]);
        }
        r = run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", "\u0435rin", face.toString()); // Cyrillic е + Latin
        assertEquals(Main.EXIT_ERROR, r[0]);
        assertTrue(((String) r[2]).contains("mixes scripts"), (String) r[2]);
        r = run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", "al\u202Eice", face.toString());
        assertEquals(Main.EXIT_ERROR, r[0]);
        assertTrue(((String) r[2]).contains("U+202E"), (String) r[2]);
    }

    // ---------------------------------------------------------------- items 7, 8: key directory and keys init --force

    @Test
    void keysInitForceAsksAboutTheOldKeysetAndDeletesItOnRequest() throws Exception {
        String k = tmp.resolve("keys-force").toString();
        assertEquals(0, run("keys", "init", "--keys", k, "--server", url)[0]);
        String oldId = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Path.of(k, "config.json").toFile()).path("keyset").asText();
        Object[] r = run("keys", "init", "--keys", k, "--server", url, "--force");
        assertEquals(Main.EXIT_ERROR, r[0]);
        assertTrue(((String) r[2]).contains("--delete-old") && ((String) r[2]).contains(oldId) && ((String) r[2]).contains("nothing was changed"), (String) r[2]);
        r = run("keys", "init", "--keys", k, "--server", url, "--force", "--delete-old");
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).contains("keyset " + oldId) && ((String) r[1]).contains("was deleted"), (String) r[1]);
        assertTrue(server.store().keyset(oldId).isEmpty(), "the old keyset is gone from the server");
        r = run("keys", "init", "--keys", k, "--server", url, "--force", "--keep-old");
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).contains("was left there"), (String) r[1]);
    }

    @Test
    void keyDirectoryFollowsHome() {
        var env = java.util.Map.of("HOME", "/somewhere");
        var loc = io.picrypt.client.KeyDirectory.locate(null, env);
        assertEquals(Path.of("/somewhere/.picrypt"), loc.path());
        assertEquals("$HOME/.picrypt", loc.source());
        assertEquals("$PICRYPT_KEYS", io.picrypt.client.KeyDirectory.locate(null, java.util.Map.of("HOME", "/x", "PICRYPT_KEYS", "/k")).source());
        assertEquals(Path.of(System.getProperty("user.home"), ".picrypt"), io.picrypt.client.KeyDirectory.locate(null, java.util.Map.of()).path());
    }

    @Test
    void distancesAreNeverNegativeZero() {
        var c = new io.picrypt.client.MatchSession.Candidate("x", -3.2e-5);
        assertEquals("0.0000", String.format(java.util.Locale.ROOT, "%.4f", c.distance()));
        var v = new io.picrypt.client.MatchSession.Verification("x", true, -1e-6, 1.3, 1, null);
        assertEquals(0.0, v.distance());
        assertEquals(Double.NaN, new io.picrypt.client.MatchSession.Candidate("x", Double.NaN).distance(), "NaN stays NaN");
    }
}
