package io.picrypt.face;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** The real models on the sample photos the build fetches (models/samples); no ../shared data. */
class FacePipelineTest {
    static FacePipeline pipeline;
    static List<SampleFaces.Sample> people;

    @BeforeAll
    static void open() {
        pipeline = FacePipeline.open(TestModels.dir());
        people = SampleFaces.crops(pipeline, TestModels.sample(""));
    }

    @AfterAll
    static void close() { pipeline.close(); }

    @ParameterizedTest
    @CsvSource({"group-tracking.jpg,3", "group-tracking-test.png,3", "group-facedetection.jpg,4",
            "portrait-facedetection.jpg,2", "background-facedetection.jpg,0"})
    void detectsEveryFaceOfTheSamplePhotos(String photo, int faces) {
        List<DetectedFace> found = pipeline.detect(TestModels.sample(photo));
        assertEquals(faces, found.size(), photo);
        for (DetectedFace f : found) assertTrue(f.box().score() >= 0.7f, "score above the confidence threshold");
        for (int i = 1; i < found.size(); i++) assertTrue(found.get(i - 1).box().area() >= found.get(i).box().area(), "largest first");
    }

    @Test
    void landmarksLieOnTheFaceInAnatomicalOrder() {
        int faces = 0;
        for (String photo : SampleFaces.PHOTOS) {
            for (DetectedFace f : pipeline.detect(TestModels.sample(photo))) {
                faces++;
                FaceBox b = f.box();
                Landmarks l = f.landmarks();
                int inside = 0;
                for (int i = 0; i < Landmarks.COUNT; i++) {
                    if (l.x(i) >= b.x1() - 0.15f * b.width() && l.x(i) <= b.x2() + 0.15f * b.width()
                            && l.y(i) >= b.y1() - 0.15f * b.height() && l.y(i) <= b.y2() + 0.25f * b.height()) inside++;
                }
                assertTrue(inside >= 66, photo + ": landmarks near the box, got " + inside + "/68");
                float[] p = l.fivePoints();
                assertTrue(p[0] < p[2], "left eye left of right eye");
                assertTrue(p[6] < p[8], "left mouth corner left of right one");
                float eyeY = (p[1] + p[3]) / 2, mouthY = (p[7] + p[9]) / 2;
                assertTrue(eyeY < p[5] && p[5] < mouthY, photo + ": eyes above nose above mouth");
                float iod = p[2] - p[0];
                assertTrue(iod > 0.2f * b.width() && iod < 0.7f * b.width(), photo + ": inter-ocular distance " + iod + " for box " + b.width());
                // jaw line (0..16) runs left to right
                assertTrue(l.x(0) < l.x(8) && l.x(8) < l.x(16), "jaw order");
            }
        }
        assertEquals(9, faces);
    }

    @Test
    void alignedFaceHasTheFivePointsOnTheTemplate() {
        try (PointerScope scope = new PointerScope()) {
            Mat img = pipeline.imageLoader().decode(pipeline.imageLoader().read(TestModels.sample("group-tracking.jpg")), "g");
            DetectedFace f = pipeline.detectFaces(img).get(0);
            double[] m = FaceAligner.transform(pipeline.embeddingSpec().alignment(), f);
            float[] p = f.landmarks().fivePoints();
            double[] t = pipeline.embeddingSpec().alignment().template();
            double err = 0;
            for (int i = 0; i < 5; i++) {
                double[] q = FaceAligner.apply(m, p[2 * i], p[2 * i + 1]);
                err = Math.max(err, Math.hypot(q[0] - t[2 * i], q[1] - t[2 * i + 1]));
            }
            assertTrue(err < 6, "a similarity fits a real face's five points within a few pixels, max error " + err);
            Mat aligned = pipeline.alignedFace(img, f);
            assertEquals(112, aligned.cols());
            assertEquals(112, aligned.rows());
        }
    }

    @Test
    void embeddingsAreUnitLengthAndDeterministic() throws Exception {
        byte[] bytes = Files.readAllBytes(TestModels.sample("group-tracking.jpg"));
        FaceEmbedding a = pipeline.embedLargest(bytes);
        FaceEmbedding b = pipeline.embedLargest(bytes);
        FaceEmbedding c = pipeline.embedLargest(TestModels.sample("group-tracking.jpg"));
        assertEquals(512, a.dimension());
        double norm = 0;
        for (float x : a.vector()) norm += x * x;
        assertEquals(1.0, norm, 1e-4);
        assertArrayEquals(a.vector(), b.vector(), "same bytes, same embedding");
        assertArrayEquals(a.vector(), c.vector(), "path and bytes agree");
        assertEquals(3, a.faceCount());
        assertTrue(a.multipleFaces());
        assertEquals(a.face(), pipeline.detect(bytes).get(0), "the largest face is embedded");
    }

    @Test
    void thresholdComesFromTheManifest() {
        assertEquals(1.2020, pipeline.threshold(), 1e-9, "calibrated by picrypt eval --calibrate (manifest)");
    }

    @Test
    void differentPeopleAreFartherThanTheThreshold() {
        assertEquals(9, people.size(), "3 + 4 + 2 people in the sample photos");
        List<FaceEmbedding> e = new ArrayList<>();
        for (SampleFaces.Sample s : people) e.add(pipeline.embedLargest(s.png(), s.id()));
        double closest = Double.MAX_VALUE;
        for (int i = 0; i < e.size(); i++) {
            for (int j = i + 1; j < e.size(); j++) {
                double d = e.get(i).squaredDistance(e.get(j));
                closest = Math.min(closest, d);
                assertTrue(d > pipeline.threshold(), people.get(i).id() + " vs " + people.get(j).id() + ": " + d);
                assertFalse(pipeline.isSamePerson(e.get(i), e.get(j)));
            }
        }
        assertTrue(closest > 1.35, "impostor margin, closest pair " + closest);
    }

    @Test
    void sameFaceUnderSmallTransformationsStaysWithinTheThreshold() {
        List<SampleFaces.Variation> variations = List.of(
                new SampleFaces.Variation(true, 0, 1, 0),
                new SampleFaces.Variation(false, 10, 1, 0),
                new SampleFaces.Variation(false, -10, 1, 0),
                new SampleFaces.Variation(false, 0, 0.75, 0),
                new SampleFaces.Variation(false, 0, 1.5, 0),
                new SampleFaces.Variation(false, 0, 1, 35),
                new SampleFaces.Variation(false, 0, 1, -35),
                new SampleFaces.Variation(true, 6, 1.2, 15));
        double worst = 0;
        for (SampleFaces.Sample s : people) {
            FaceEmbedding ref = pipeline.embedLargest(s.png(), s.id());
            for (SampleFaces.Variation v : variations) {
                FaceEmbedding probe;
                try {
                    probe = pipeline.embedLargest(v.apply(s.png()), s.id() + " " + v);
                } catch (FaceException e) { // shrinking a small sample face may take it under the quality gate's minimum size
                    assertEquals(FaceException.Reason.LOW_QUALITY, e.reason(), e.getMessage());
                    assertTrue(v.scale() < 1 && e.getMessage().contains("too small"), e.getMessage());
                    continue;
                }
                double d = ref.squaredDistance(probe);
                worst = Math.max(worst, d);
                assertTrue(pipeline.isSamePerson(ref, probe), s.id() + " under " + v + ": squared distance " + d);
            }
        }
        assertTrue(worst > 0, "transformations change the embedding a little");
    }

    @Test
    void sameSceneReEncodedMatchesFaceByFace() {
        List<FaceEmbedding> jpg = pipeline.embedAll(TestModels.sample("group-tracking.jpg"));
        List<FaceEmbedding> png = pipeline.embedAll(TestModels.sample("group-tracking-test.png"));
        assertEquals(3, jpg.size());
        for (FaceEmbedding a : jpg) {
            FaceEmbedding nearest = png.stream().min((x, y) -> Double.compare(a.squaredDistance(x), a.squaredDistance(y))).orElseThrow();
            assertTrue(pipeline.isSamePerson(a, nearest), "re-encoded copy of the same face: " + a.squaredDistance(nearest));
            assertEquals(a.face().box().x1(), nearest.face().box().x1(), 6f, "and it is the face at the same place");
        }
    }

    @Test
    void tightCropIsFoundThroughThePaddedRetry() {
        SampleFaces.Sample s = people.get(0);
        byte[] tight;
        try (PointerScope scope = new PointerScope()) {
            Mat img = pipeline.imageLoader().decode(s.png(), "crop");
            FaceBox b = pipeline.detectFaces(img).get(0).box();
            Mat t = img.apply(new org.bytedeco.opencv.opencv_core.Rect(Math.max(0, Math.round(b.x1())), Math.max(0, Math.round(b.y1())),
                    Math.round(b.width()), Math.round(b.height()))).clone();
            tight = SampleFaces.png(t);
        }
        FaceEmbedding ref = pipeline.embedLargest(s.png(), "crop");
        FaceEmbedding probe = pipeline.embedLargest(tight, "tight crop");
        assertEquals(1, probe.faceCount());
        assertTrue(ref.squaredDistance(probe) < 1.6, "tight crop still resembles the face: " + ref.squaredDistance(probe));
    }

    @Test
    void noFaceIsAClearError() {
        FaceException e = assertThrows(FaceException.class, () -> pipeline.embedLargest(TestModels.sample("background-facedetection.jpg")));
        assertEquals(FaceException.Reason.NO_FACE, e.reason());
        assertTrue(e.getMessage().contains("no face"), e.getMessage());
        assertTrue(e.isInputError());
    }

    @Test
    void badInputsGiveClearErrors() {
        assertEquals(FaceException.Reason.EMPTY, assertThrows(FaceException.class, () -> pipeline.embedLargest(new byte[0])).reason());
        assertEquals(FaceException.Reason.NOT_AN_IMAGE,
                assertThrows(FaceException.class, () -> pipeline.embedLargest("hello, not a photo".getBytes())).reason());
        byte[] jpg = people.get(0).png();
        byte[] truncated = java.util.Arrays.copyOf(jpg, jpg.length / 3);
        assertEquals(FaceException.Reason.CORRUPT, assertThrows(FaceException.class, () -> pipeline.embedLargest(truncated)).reason());
        assertEquals(FaceException.Reason.IO,
                assertThrows(FaceException.class, () -> pipeline.embedLargest(TestModels.sample("no-such-file.jpg"))).reason());
    }

    @Test
    void oneInstanceServesSeveralThreads() throws Exception {
        List<byte[]> inputs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        for (SampleFaces.Sample s : people.subList(0, 4)) {
            inputs.add(s.png());
            expected.add(pipeline.embedLargest(s.png()).vector());
        }
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (byte[] in : inputs) futures.add(pool.submit(() -> pipeline.embedLargest(in).vector()));
            }
            for (int i = 0; i < futures.size(); i++) assertArrayEquals(expected.get(i % inputs.size()), futures.get(i).get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unknownModelNameIsAClearError() {
        FaceException e = assertThrows(FaceException.class, () -> FacePipeline.open(TestModels.dir(), "no-such-model"));
        assertEquals(FaceException.Reason.MODEL, e.reason());
        assertTrue(e.getMessage().contains("faceplugin-512"), "lists the known models: " + e.getMessage());
    }
}
