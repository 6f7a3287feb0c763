package io.picrypt.face;

import io.picrypt.models.ModelFetcher;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.bytedeco.opencv.global.opencv_core.flip;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_8;
import static org.bytedeco.opencv.global.opencv_imgproc.ellipse;
import static org.junit.jupiter.api.Assertions.*;

/** The analyses on the photos the build fetches (models/samples), and their semantics where a transform predicts them. */
class FaceAnalyzerTest {
    static FacePipeline pipeline;
    static FaceAnalyzer analyzer;

    @BeforeAll
    static void open() {
        pipeline = FacePipeline.open(TestModels.dir());
        analyzer = FaceAnalyzer.open(TestModels.dir(), EnumSet.allOf(FaceAnalyzer.Analysis.class));
    }

    @AfterAll
    static void close() {
        analyzer.close();
        pipeline.close();
    }

    private static Mat read(String sample) {
        return pipeline.imageLoader().decode(pipeline.imageLoader().read(TestModels.sample(sample)), sample);
    }

    @Test
    void everyAnalysisModelIsPinnedInTheManifestAndFetchedFromTheSamePackage() {
        List<ModelFetcher.Entry> entries = new ModelFetcher(TestModels.dir()).entries();
        for (String role : List.of("liveness", "age", "gender", "expression", "head-pose", "eye-state")) {
            ModelFetcher.Entry e = entries.stream().filter(x -> x.name().equals(role)).findFirst().orElseThrow(() -> new AssertionError(role));
            assertEquals("faceplugin-face-recognition-js@0.0.1", e.npmSpec(), role + " comes from the package already used");
            assertNull(ModelFetcher.state(e), role + " present with its pinned checksum");
        }
        assertEquals(EnumSet.allOf(FaceAnalyzer.Analysis.class), AnalysisModels.load(TestModels.dir()).specs().keySet());
    }

    @Test
    void groupPhotoFacesGetPlausibleAttributes() {
        try (PointerScope s = new PointerScope()) {
            Mat img = read("group-facedetection.jpg");
            List<DetectedFace> faces = pipeline.detectFaces(img);
            assertEquals(4, faces.size());
            List<FaceAnalyzer.Result> rs = analyzer.analyze(img, faces);
            for (FaceAnalyzer.Result r : rs) {
                assertTrue(r.age() > 15 && r.age() < 85, "adult ages: " + r.age());
                assertTrue(r.gender().score() > -0.5 && r.gender().score() < 1.5, "SSR-Net score near [0,1]: " + r.gender().score());
                double sum = r.expression().probabilities().values().stream().mapToDouble(Double::doubleValue).sum();
                assertEquals(1.0, sum, 1e-6);
                assertEquals(7, r.expression().probabilities().size());
                // everyone in this photo looks at the camera with open eyes
                assertTrue(r.eyes().leftIsOpen() && r.eyes().rightIsOpen(), "open eyes: " + r.eyes());
                assertTrue(Math.abs(r.headPose().yaw()) < 30 && Math.abs(r.headPose().roll()) < 30, "near-frontal: " + r.headPose());
                assertTrue(r.liveness().score() >= 0 && r.liveness().score() <= 1);
                assertEquals(EnumSet.allOf(FaceAnalyzer.Analysis.class), r.millis().keySet());
            }
        }
    }

    @Test
    void mirroringNegatesYawAndRoll() {
        try (PointerScope s = new PointerScope()) {
            Mat img = read("portrait-facedetection.jpg");
            Mat mirrored = new Mat();
            flip(img, mirrored, 1);
            DetectedFace a = pipeline.detectFaces(img).get(0), b = pipeline.detectFaces(mirrored).get(0);
            Set<FaceAnalyzer.Analysis> pose = EnumSet.of(FaceAnalyzer.Analysis.HEAD_POSE);
            FaceAnalyzer.HeadPose p = analyzer.analyze(img, a, pose).headPose(), q = analyzer.analyze(mirrored, b, pose).headPose();
            assertEquals(-p.yaw(), q.yaw(), 6.0, p + " vs mirrored " + q);
            assertEquals(-p.roll(), q.roll(), 6.0, p + " vs mirrored " + q);
            assertEquals(p.pitch(), q.pitch(), 6.0, p + " vs mirrored " + q);
        }
    }

    @Test
    void paintingAnEyeShutLowersItsOpenProbability() {
        try (PointerScope s = new PointerScope()) {
            Mat img = read("portrait-facedetection.jpg");
            DetectedFace f = pipeline.detectFaces(img).get(0);
            Set<FaceAnalyzer.Analysis> eyes = EnumSet.of(FaceAnalyzer.Analysis.EYES);
            FaceAnalyzer.Eyes open = analyzer.analyze(img, f, eyes).eyes();
            assertTrue(open.leftIsOpen(), "measured open first: " + open);
            // a closed lid: skin colour (sampled under the eye) over the eye, with a dark lash line
            Landmarks l = f.landmarks();
            double cx = (l.x(36) + l.x(39)) / 2, cy = (l.y(37) + l.y(41)) / 2, w = l.x(39) - l.x(36);
            var skin = img.ptr((int) Math.round(cy + w * 0.9), (int) Math.round(cx));
            Scalar skinColour = new Scalar(skin.get(0) & 0xFF, skin.get(1) & 0xFF, skin.get(2) & 0xFF, 0);
            Point c = new Point((int) Math.round(cx), (int) Math.round(cy));
            ellipse(img, c, new org.bytedeco.opencv.opencv_core.Size((int) Math.round(w * 0.75), (int) Math.round(w * 0.45)), 0, 0, 360, skinColour, -1, LINE_8, 0);
            ellipse(img, c, new org.bytedeco.opencv.opencv_core.Size((int) Math.round(w * 0.55), (int) Math.round(w * 0.15)), 0, 0, 180,
                    new Scalar(40, 40, 40, 0), Math.max(1, (int) Math.round(w / 12)), LINE_8, 0);
            FaceAnalyzer.Eyes shut = analyzer.analyze(img, f, eyes).eyes();
            assertTrue(shut.leftOpen() < open.leftOpen() - 0.3 && !shut.leftIsOpen(), open + " -> " + shut);
            assertEquals(open.rightOpen(), shut.rightOpen(), 0.2, "the other eye is unchanged");
        }
    }

    @Test
    void screenRecapturesWithTheirBezelScoreFarBelowTheGenuineGroupPhoto() {
        try (PointerScope s = new PointerScope()) {
            Mat img = read("group-facedetection.jpg");
            Mat attack = Recapture.make(img, Recapture.Kind.SCREEN_FRAMED);
            double genuine = meanLiveness(img), replay = meanLiveness(attack);
            // measured: genuine 0.98, framed replay 0.72. A regression check of the measured behaviour (crop, colour
            // order, class), not a claim that such attacks are stopped: see docs/BENCHMARKS.md for the evaluation
            assertTrue(genuine > 0.8 && replay < genuine - 0.2, "genuine " + genuine + ", framed screen replay " + replay);
            FaceBox b = pipeline.detectFaces(img).get(0).box();
            assertEquals(1.0, java.util.Arrays.stream(analyzer.liveness(img, b, 0.5).probabilities()).sum(), 1e-9);
            assertThrows(IllegalArgumentException.class, () -> analyzer.liveness(img, b, 1.5));
        }
    }

    private static double meanLiveness(Mat img) {
        List<DetectedFace> faces = pipeline.detectFaces(img);
        assertFalse(faces.isEmpty());
        return faces.stream().mapToDouble(f -> analyzer.liveness(img, f.box(), 0.5).score()).average().orElseThrow();
    }

    @Test
    void ssrMergeFollowsThePackagesFormula() {
        // one-hot stage probabilities on bin 2 of each stage, no shifts or width changes: (2/3 + 2/9 + 2/27) * V
        var o = new java.util.HashMap<String, float[]>();
        for (int k = 1; k <= 3; k++) {
            o.put("prob_stage_" + k, new float[]{0, 0, 1});
            o.put("index_offset_stage" + k, new float[]{0, 0, 0});
            o.put("stage" + k + "_delta_k", new float[]{0});
        }
        assertEquals((2.0 / 3 + 2.0 / 9 + 2.0 / 27) * 101, FaceAnalyzer.ssrMerge(o, 101), 1e-4);
        o.remove("stage2_delta_k");
        assertThrows(FaceException.class, () -> FaceAnalyzer.ssrMerge(o, 101));
    }

    @Test
    void aManifestWithoutTheModelOrWithAWrongChecksumIsAClearError(@TempDir Path tmp) throws Exception {
        String manifest = Files.readString(TestModels.dir().resolve("manifest.json"));
        Files.writeString(tmp.resolve("manifest.json"), manifest.replace("\"role\": \"eye-state\"", "\"role\": \"retired\""));
        FaceException e = assertThrows(FaceException.class, () -> FaceAnalyzer.open(tmp, EnumSet.of(FaceAnalyzer.Analysis.EYES)));
        assertEquals(FaceException.Reason.MODEL, e.reason());
        assertTrue(e.getMessage().contains("eye-state"), e.getMessage());
        Files.writeString(tmp.resolve("manifest.json"), manifest);
        Files.write(tmp.resolve("fr_age.onnx"), new byte[]{1, 2, 3});
        e = assertThrows(FaceException.class, () -> FaceAnalyzer.open(tmp, EnumSet.of(FaceAnalyzer.Analysis.AGE)));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
    }
}
