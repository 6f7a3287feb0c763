package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.SampleFaces;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** embed, detect, eval and bench face through Main.run, on the sample photos. */
class FaceCommandsTest {
    static final Path MODELS = Path.of(System.getProperty("picrypt.models", "models"));
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    /** Runs the CLI and returns {exit code, stdout, stderr}. */
    static Object[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = System.out, e = System.err;
        System.setOut(new PrintStream(out));
        System.setErr(new PrintStream(err));
        try {
            int code = Main.run(args);
            return new Object[]{code, out.toString(), err.toString()};
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    @BeforeAll
    static void writeSampleCropsAndPairs() throws Exception {
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            List<SampleFaces.Sample> people = SampleFaces.crops(p, MODELS.resolve("samples"));
            StringBuilder csv = new StringBuilder("file_x,file_y,Decision\r\n");
            for (int i = 0; i < 4; i++) {
                SampleFaces.Sample s = people.get(i);
                Files.createDirectories(dir.resolve("p" + i));
                Files.write(dir.resolve("p" + i + "/a.png"), s.png());
                Files.write(dir.resolve("p" + i + "/b.png"), new SampleFaces.Variation(true, 5, 1.1, 10).apply(s.png()));
                csv.append("p").append(i).append("/a.png,p").append(i).append("/b.png,Yes\r\n");
                if (i > 0) csv.append("p").append(i).append("/a.png,p").append(i - 1).append("/a.png,No\r\n");
            }
            Files.writeString(dir.resolve("pairs.csv"), csv);
        }
    }

    @Test
    void embedJsonHasBoxesLandmarksAndAUnitEmbedding() throws Exception {
        Object[] r = run("embed", MODELS.resolve("samples/portrait-facedetection.jpg").toString(), "--json", "--models", MODELS.toString());
        assertEquals(0, r[0], (String) r[2]);
        JsonNode o = JSON.readTree((String) r[1]);
        assertEquals(2, o.get("face_count").asInt());
        assertTrue(o.has("warning"));
        JsonNode f = o.get("faces").get(0);
        assertEquals(4, f.get("box").size());
        assertEquals(68, f.get("landmarks").size());
        assertEquals(5, f.get("five_points").size());
        double n = 0;
        for (JsonNode x : f.get("embedding")) n += x.asDouble() * x.asDouble();
        assertEquals(512, f.get("embedding").size());
        assertEquals(1.0, n, 1e-4);
    }

    @Test
    void embedErrorsAreOneLineAndExitTwo() throws Exception {
        Path text = Files.writeString(dir.resolve("notes.jpg"), "not an image");
        Object[] r = run("embed", text.toString(), "--models", MODELS.toString());
        assertEquals(Main.EXIT_ERROR, r[0]);
        assertTrue(((String) r[2]).contains("not a supported image"), (String) r[2]);
        assertFalse(((String) r[2]).contains("Exception"), "no stack trace");
        Object[] none = run("embed", MODELS.resolve("samples/background-facedetection.jpg").toString(), "--models", MODELS.toString());
        assertEquals(Main.EXIT_ERROR, none[0]);
        assertTrue(((String) none[2]).contains("no face found"), (String) none[2]);
    }

    @Test
    void detectDrawsAnAnnotatedImage() throws Exception {
        Path out = dir.resolve("annotated.png");
        Object[] r = run("detect", MODELS.resolve("samples/group-facedetection.jpg").toString(), "-o", out.toString(), "--models", MODELS.toString());
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).contains("4 face(s)"), (String) r[1]);
        byte[] png = Files.readAllBytes(out);
        assertTrue(png.length > 1000 && png[1] == 'P', "a PNG was written");
        byte[] original = Files.readAllBytes(MODELS.resolve("samples/group-facedetection.jpg"));
        assertNotEquals(original.length, png.length);
    }

    @Test
    void evalReportsEveryKeyOnACsvWithDecisionColumn() throws Exception {
        Object[] r = run("eval", "--pairs", dir.resolve("pairs.csv").toString(), "--images", dir.toString(), "--json", "--rank1",
                "--models", MODELS.toString());
        assertEquals(0, r[0], (String) r[2]);
        JsonNode o = JSON.readTree((String) r[1]);
        for (String k : new String[]{"pairs", "genuine", "impostor", "no_face", "auc", "threshold", "accuracy", "far", "frr",
                "tar_at_far_1pct", "best_threshold", "best_accuracy", "encrypted_decisions_match"}) {
            assertTrue(o.has(k), "key " + k);
        }
        assertEquals(7, o.get("pairs").asInt());
        assertEquals(4, o.get("genuine").asInt());
        assertEquals(3, o.get("impostor").asInt());
        assertEquals(0, o.get("no_face").asInt());
        assertEquals(1.0, o.get("auc").asDouble(), 1e-12, o.toString());
        assertEquals(1.0, o.get("accuracy").asDouble(), 1e-12);
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            assertEquals(p.threshold(), o.get("threshold").asDouble(), 1e-12, "the manifest's threshold");
        }
        assertTrue(o.get("encrypted_decisions_match").isNull());
        assertEquals(8, o.get("rank1_total").asInt());
        assertEquals(8, o.get("rank1_correct").asInt());
    }

    @Test
    void evalEncryptedDecisionsEqualPlaintext() throws Exception {
        Object[] r = run("eval", "--pairs", dir.resolve("pairs.csv").toString(), "--images", dir.toString(), "--encrypted",
                "--json", "--models", MODELS.toString());
        assertEquals(0, r[0], (String) r[2]);
        JsonNode o = JSON.readTree((String) r[1]);
        assertTrue(o.get("encrypted_decisions_match").asBoolean());
        assertTrue(o.get("encrypted_max_abs_error").asDouble() < 1e-4, o.toString());
    }

    @Test
    void evalCountsPhotosWithoutAFace() throws Exception {
        Files.copy(MODELS.resolve("samples/background-facedetection.jpg"), dir.resolve("wood.jpg"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("nf.csv"), "image_a,image_b,same\np0/a.png,wood.jpg,1\np0/a.png,p1/a.png,0\n");
        Object[] r = run("eval", "--pairs", dir.resolve("nf.csv").toString(), "--images", dir.toString(), "--json", "--models", MODELS.toString());
        assertEquals(0, r[0], (String) r[2]);
        JsonNode o = JSON.readTree((String) r[1]);
        assertEquals(1, o.get("no_face").asInt());
        assertEquals(1.0, o.get("frr").asDouble(), 1e-12, "a genuine pair without a face is rejected");
    }

    @Test
    void evalKeepsGoingPastUnreadableMissingAndRefusedPhotosAndListsThemPerSet() throws Exception {
        Path set = dir.resolve("messy");
        Files.createDirectories(set.resolve("p0"));
        Files.copy(dir.resolve("p0/a.png"), set.resolve("p0/a.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dir.resolve("p0/b.png"), set.resolve("p0/b.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dir.resolve("p1/a.png"), set.resolve("p1.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(set.resolve("broken.jpg"), "not a jpeg at all");
        org.bytedeco.opencv.global.opencv_imgcodecs.imwrite(set.resolve("tiny.png").toString(), tinyCopy(dir.resolve("p2/a.png")));
        Files.writeString(set.resolve("pairs.csv"), "image_a,image_b,same\np0/a.png,p0/b.png,1\np0/a.png,broken.jpg,1\n"
                + "p0/a.png,missing.png,0\np0/a.png,tiny.png,0\np0/a.png,p1.png,0\n");
        Object[] r = run("eval", "--set", set.toString(), "--set", dir.toString(), "--json", "--models", MODELS.toString(),
                "--photos", dir.resolve("photos.csv").toString());
        assertEquals(0, r[0], (String) r[2]);
        JsonNode o = JSON.readTree((String) r[1]);
        JsonNode messy = o.get("sets").get(0);
        assertEquals("messy", messy.get("name").asText());
        assertEquals(5, messy.get("pairs").asInt());
        assertEquals(List.of("broken.jpg", "missing.png"), JSON.convertValue(messy.get("unusable_photos"), List.class));
        assertEquals(List.of("tiny.png"), JSON.convertValue(messy.get("refused_photos"), List.class), messy.toString());
        assertEquals(0.5, messy.get("frr").asDouble(), 1e-12, "the genuine pair with the broken photo is rejected");
        assertEquals(7, o.get("sets").get(1).get("pairs").asInt());
        assertEquals(12, o.get("pairs").asInt(), "pooled");
        assertEquals(3, o.get("unusable").asInt() + o.get("refused").asInt());
        String photos = Files.readString(dir.resolve("photos.csv"));
        assertTrue(photos.contains("messy,tiny.png,refused,") && photos.contains("too small"), photos);
    }

    @Test
    void evalCalibratePicksTheThresholdBelowTheClosestImpostorOfEverySet() throws Exception {
        Object[] r = run("eval", "--set", dir.toString(), "--calibrate", "--far", "0.001", "--json", "--models", MODELS.toString(),
                "--distances", dir.resolve("d.csv").toString());
        assertEquals(0, r[0], (String) r[2]);
        JsonNode o = JSON.readTree((String) r[1]);
        double t = o.get("threshold").asDouble();
        assertEquals(o.get("calibration").get("threshold").asDouble(), t);
        assertEquals(0.001, o.get("calibration").get("far_target").asDouble());
        assertEquals(0.0, o.get("far").asDouble(), "3 impostors: no false accept allowed");
        assertTrue(t < o.get("impostor_distance_min").asDouble() && t > o.get("impostor_distance_min").asDouble() - 2e-4, o.toString());
        assertTrue(o.get("calibration").get("sets").has(dir.getFileName().toString()));
        Object[] bad = run("eval", "--set", dir.toString(), "--calibrate", "--far", "1.5", "--models", MODELS.toString());
        assertEquals(2, bad[0]);
        assertTrue(((String) bad[2]).contains("--far"), (String) bad[2]);
    }

    static org.bytedeco.opencv.opencv_core.Mat tinyCopy(Path png) throws Exception {
        var img = org.bytedeco.opencv.global.opencv_imgcodecs.imread(png.toString());
        var out = new org.bytedeco.opencv.opencv_core.Mat();
        org.bytedeco.opencv.global.opencv_imgproc.resize(img, out, new org.bytedeco.opencv.opencv_core.Size(img.cols() / 4, img.rows() / 4),
                0, 0, org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA);
        return out;
    }

    @Test
    void benchFaceJsonHasTheStageMedians() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream o = System.out;
        System.setOut(new PrintStream(out));
        int code;
        try {
            code = new picocli.CommandLine(new BenchFaceCommand()).execute("--json", "-n", "3", "--warmup", "0", "--models", MODELS.toString());
        } finally {
            System.setOut(o);
        }
        assertEquals(0, code);
        JsonNode j = JSON.readTree(out.toString());
        for (String k : new String[]{"decode_ms", "detect_ms", "landmarks_ms", "align_ms", "embed_ms", "total_ms", "first_call_ms"}) {
            assertTrue(j.get(k).asDouble() > 0, k);
        }
        assertTrue(j.get("total_ms").asDouble() >= j.get("embed_ms").asDouble());
    }
}
