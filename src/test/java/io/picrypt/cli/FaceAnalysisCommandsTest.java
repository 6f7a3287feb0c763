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
