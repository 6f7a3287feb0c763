package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.Recapture;
import io.picrypt.face.SampleFaces;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imwrite;
import static org.junit.jupiter.api.Assertions.*;

/** analyze, identify --all-faces (one batch request), and --liveness on verify/identify, end to end on loopback. */
class FaceAnalysisCommandsTest {
    static final Path MODELS = Path.of(System.getProperty("picrypt.models", "models"));
    static final Path GROUP = MODELS.resolve("samples").resolve("group-facedetection.jpg");

    @Test
    void analyzePrintsEveryFacesAttributesAsJsonAndText(@TempDir Path tmp) throws Exception {
        Object[] r = ServiceCommandsTest.run("analyze", "--models", MODELS.toString(), "--json", "--liveness", GROUP.toString());
        assertEquals(0, r[0], (String) r[2]);
        JsonNode j = new ObjectMapper().readTree((String) r[1]);
        assertEquals(4, j.get("faces").size());
        for (JsonNode f : j.get("faces")) {
            for (String k : List.of("box", "age", "gender", "expression", "head_pose", "eyes", "liveness", "millis")) assertTrue(f.has(k), k + " in " + f);
            assertTrue(f.get("expression").get("probabilities").has("happy"));
        }
        r = ServiceCommandsTest.run("analyze", "--models", MODELS.toString(), GROUP.toString());
        assertEquals(0, r[0]);
        assertTrue(((String) r[1]).contains("head pose") && ((String) r[1]).contains("expression") && !((String) r[1]).contains("liveness"), (String) r[1]);
        // no face: exit 1; not an image: exit 2 with one line
        Path blank = tmp.resolve("blank.png");
        imwrite(blank.toString(), new org.bytedeco.opencv.opencv_core.Mat(64, 64, org.bytedeco.opencv.global.opencv_core.CV_8UC3,
                new org.bytedeco.opencv.opencv_core.Scalar(128, 128, 128, 0)));
        assertEquals(1, ServiceCommandsTest.run("analyze", "--models", MODELS.toString(), blank.toString())[0]);
        Files.writeString(tmp.resolve("x.jpg"), "not an image");
        r = ServiceCommandsTest.run("analyze", "--models", MODELS.toString(), tmp.resolve("x.jpg").toString());
        assertEquals(Main.EXIT_ERROR, r[0]);
        assertFalse(((String) r[2]).contains("Exception"), (String) r[2]);
    }

    @Test
    void identifyAllFacesNamesEachFaceAndLivenessRefusesAScreenReplay(@TempDir Path tmp) throws Exception {
        List<SampleFaces.Sample> samples;
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            samples = SampleFaces.crops(p, MODELS.resolve("samples")).stream()
                    .filter(s -> s.sourcePhoto().equals("group-facedetection.jpg")).toList();
        }
        assertEquals(4, samples.size());
        Path framed = tmp.resolve("replay.png");
        imwrite(framed.toString(), Recapture.make(imread(GROUP.toString()), Recapture.Kind.SCREEN_FRAMED));
        try (var server = new io.picrypt.server.PiCryptServer(io.picrypt.server.ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String keys = tmp.resolve("keys").toString(), url = "http://127.0.0.1:" + server.port();
            assertEquals(0, ServiceCommandsTest.run("keys", "init", "--keys", keys, "--server", url)[0]);
            for (int i : new int[]{0, 2}) {
                Path f = tmp.resolve("p" + i + ".png");
                Files.write(f, samples.get(i).png());
                Object[] e = ServiceCommandsTest.run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", "person " + i, f.toString());
                assertEquals(0, e[0], (String) e[2]);
            }
            Path annotated = tmp.resolve("annotated.png");
            Object[] r = ServiceCommandsTest.run("identify", "--keys", keys, "--models", MODELS.toString(), "--all-faces", "--json",
                    "-o", annotated.toString(), GROUP.toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            JsonNode j = new ObjectMapper().readTree((String) r[1]);
            assertEquals(4, j.get("faces").size());
            int named = 0;
            for (JsonNode f : j.get("faces")) {
                int who = nearest(samples, f.get("box"));
                if (who == 0 || who == 2) {
                    assertEquals("person " + who, f.get("name").asText(), f.toString());
                    named++;
                } else {
                    assertTrue(f.get("name").isNull(), "not enrolled: unknown. " + f);
                }
            }
            assertEquals(2, named);
            assertTrue(Files.size(annotated) > 10_000, "annotated image written");

            Path namedPng = tmp.resolve("named.png");
            r = ServiceCommandsTest.run("detect", "--keys", keys, "--models", MODELS.toString(), "--names", "-o", namedPng.toString(), GROUP.toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            assertTrue(Files.size(namedPng) > 10_000);
            assertEquals(Main.EXIT_ERROR, ServiceCommandsTest.run("detect", "--models", MODELS.toString(), "--names", GROUP.toString())[0]);

            // an -o that cannot be written is refused before anything is identified (was: OpenCV's "could not find a writer" after)
            for (String bad : new String[]{tmp.resolve("named.xyz").toString(), tmp.resolve("no/such/dir/named.png").toString()}) {
                r = ServiceCommandsTest.run("identify", "--keys", keys, "--models", MODELS.toString(), "--all-faces", "-o", bad, GROUP.toString());
                assertEquals(Main.EXIT_ERROR, r[0]);
                assertTrue(((String) r[2]).contains("cannot write") && !((String) r[2]).contains("OpenCV"), (String) r[2]);
                assertFalse(((String) r[1]).contains("probes"), "nothing identified: " + r[1]);
                r = ServiceCommandsTest.run("detect", "--keys", keys, "--models", MODELS.toString(), "--names", "-o", bad, GROUP.toString());
                assertEquals(Main.EXIT_ERROR, r[0]);
                assertTrue(((String) r[2]).contains("cannot write") && !((String) r[2]).contains("OpenCV"), (String) r[2]);
            }

            r = ServiceCommandsTest.run("identify", "--keys", keys, "--models", MODELS.toString(), "--all-faces", GROUP.toString());
            assertEquals(0, r[0]);
            assertTrue(((String) r[1]).contains("4 probes in one request"), (String) r[1]);

            // liveness: the genuine photo passes, its framed screen replay is refused before anything is sent
            r = ServiceCommandsTest.run("verify", "--keys", keys, "--models", MODELS.toString(), "--liveness", "--name", "person 0", GROUP.toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).startsWith("liveness: live"), (String) r[1]);
            r = ServiceCommandsTest.run("verify", "--keys", keys, "--models", MODELS.toString(), "--liveness", "--name", "person 0", framed.toString());
            assertEquals(LivenessOptions.EXIT_NOT_LIVE, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).startsWith("REFUSED: the face is judged not live (liveness score 0."), (String) r[1]);
            r = ServiceCommandsTest.run("identify", "--keys", keys, "--models", MODELS.toString(), "--liveness", framed.toString());
            assertEquals(LivenessOptions.EXIT_NOT_LIVE, r[0]);
            r = ServiceCommandsTest.run("identify", "--keys", keys, "--models", MODELS.toString(), "--liveness", "--all-faces", "--json", framed.toString());
            JsonNode refused = new ObjectMapper().readTree((String) r[1]).get("faces").get(0);
            assertEquals("not live", refused.get("refused").asText(), refused.toString());
            // bad flag combinations: exit 2
            assertEquals(Main.EXIT_ERROR, ServiceCommandsTest.run("verify", "--keys", keys, "--models", MODELS.toString(), "--liveness-threshold", "0.4",
                    "--name", "person 0", GROUP.toString())[0]);
            assertEquals(Main.EXIT_ERROR, ServiceCommandsTest.run("identify", "--keys", keys, "--models", MODELS.toString(), "--json", GROUP.toString())[0]);
        }
    }

    /**
     * A face too small to embed reliably is refused by the quality gate on every path, also where faces are detected
     * outside the pipeline's own photo path: `identify --all-faces` reports it and does not send it (a tiny background
     * face would otherwise be named at random in a large gallery), and `verify --liveness` refuses it (exit 2) instead of
     * deciding. Warnings (several faces) are shown once, as "warning: ...", not also as a log line.
     */
    @Test
    void tinyFacesAreRefusedOnEveryPathAndWarningsAreShownOnce(@TempDir Path tmp) throws Exception {
        Path portrait = MODELS.resolve("samples").resolve("portrait-facedetection.jpg");
        double eyes;
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            eyes = p.embedLargest(portrait).quality().eyeDistance();
        }
        org.bytedeco.opencv.opencv_core.Mat big = imread(portrait.toString()), tiny = new org.bytedeco.opencv.opencv_core.Mat();
        double scale = 10 / eyes; // 10 px between the eyes: under the gate's 16 px, still found by the detector
        org.bytedeco.opencv.global.opencv_imgproc.resize(big, tiny, new org.bytedeco.opencv.opencv_core.Size(
                (int) Math.round(big.cols() * scale), (int) Math.round(big.rows() * scale)), 0, 0, org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA);
        // the portrait with its tiny copy in a grey margin on the right
        org.bytedeco.opencv.opencv_core.Mat both = new org.bytedeco.opencv.opencv_core.Mat(big.rows(), big.cols() + tiny.cols() + 40,
                big.type(), new org.bytedeco.opencv.opencv_core.Scalar(128, 128, 128, 0));
        big.copyTo(both.apply(new org.bytedeco.opencv.opencv_core.Rect(0, 0, big.cols(), big.rows())));
        tiny.copyTo(both.apply(new org.bytedeco.opencv.opencv_core.Rect(big.cols() + 20, (big.rows() - tiny.rows()) / 2, tiny.cols(), tiny.rows())));
        Path pair = tmp.resolve("pair.png"), small = tmp.resolve("small.png");
        imwrite(pair.toString(), both);
        imwrite(small.toString(), tiny);
        try (var server = new io.picrypt.server.PiCryptServer(io.picrypt.server.ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String keys = tmp.resolve("keys").toString(), url = "http://127.0.0.1:" + server.port();
            assertEquals(0, ServiceCommandsTest.run("keys", "init", "--keys", keys, "--server", url)[0]);
            Object[] e = ServiceCommandsTest.run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", "ada", portrait.toString());
            assertEquals(0, e[0], (String) e[2]);

            Object[] r = ServiceCommandsTest.run("identify", "--keys", keys, "--models", MODELS.toString(), "--all-faces", "--json", pair.toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            JsonNode faces = new ObjectMapper().readTree((String) r[1]).get("faces");
            int sent = 0, refused = 0;
            boolean ada = false;
            for (JsonNode f : faces) { // the portrait (its faces full size) on the left, its tiny copy on the right
                boolean copy = f.get("box").get(0).asInt() >= big.cols();
                if (copy) {
                    assertEquals("low quality", f.path("refused").asText(), faces.toString());
                    assertTrue(f.get("reason").asText().contains("too small"), f.toString());
                    assertFalse(f.has("name") || f.has("distance"), "a refused face is not sent: " + f);
                    refused++;
                } else {
                    assertFalse(f.has("refused"), f.toString());
                    ada |= "ada".equals(f.path("name").asText());
                    sent++;
                }
            }
            assertTrue(ada && refused >= 1, faces.toString());
            r = ServiceCommandsTest.run("identify", "--keys", keys, "--models", MODELS.toString(), "--all-faces", pair.toString());
            assertTrue(((String) r[1]).contains("NOT USED: the face in") && ((String) r[1]).contains((sent == 1 ? "1 probe" : sent + " probes") + " in one request"), (String) r[1]);

            // every face refused by the gate: nothing was compared, an unusable photo (exit 2), not "unknown" (exit 1)
            r = ServiceCommandsTest.run("identify", "--keys", keys, "--models", MODELS.toString(), "--all-faces", small.toString());
            assertEquals(Main.EXIT_ERROR, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[2]).contains("could be used"), (String) r[2]);
            // the liveness path embeds the face it checked: through the same gate (threshold 0: every face counts as live here)
            r = ServiceCommandsTest.run("verify", "--keys", keys, "--models", MODELS.toString(), "--liveness", "--liveness-threshold", "0",
                    "--name", "ada", small.toString());
            assertEquals(Main.EXIT_ERROR, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[2]).contains("too small") && !((String) r[1]).contains("MATCH"), r[1] + " " + r[2]);
            r = ServiceCommandsTest.run("verify", "--keys", keys, "--models", MODELS.toString(), "--name", "ada", small.toString());
            assertEquals(Main.EXIT_ERROR, r[0], r[1] + " " + r[2]);

            // several faces: one "warning:" line on each command, no log line besides it
            r = ServiceCommandsTest.run("verify", "--keys", keys, "--models", MODELS.toString(), "--name", "ada", GROUP.toString());
            String err = (String) r[2];
            assertEquals(1, err.split("faces, the largest was used", -1).length - 1, err);
            assertTrue(err.contains("warning: " + GROUP + ": 4 faces, the largest was used") && !err.contains("WARN"), err);
            r = ServiceCommandsTest.run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", "group", "--allow-new-face", GROUP.toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            err = (String) r[2];
            assertEquals(1, err.split("faces, the largest was used", -1).length - 1, err);
            assertFalse(err.contains("WARN"), err);
        }
    }

    /** Index of the sample whose source box overlaps the printed box most. */
    private static int nearest(List<SampleFaces.Sample> samples, JsonNode box) {
        FaceBox b = new FaceBox(box.get(0).floatValue(), box.get(1).floatValue(), box.get(2).floatValue(), box.get(3).floatValue(), 1);
        int best = -1;
        float iou = 0.3f;
        for (int i = 0; i < samples.size(); i++) {
            float v = samples.get(i).box().iou(b);
            if (v > iou) { iou = v; best = i; }
        }
        return best;
    }
}
