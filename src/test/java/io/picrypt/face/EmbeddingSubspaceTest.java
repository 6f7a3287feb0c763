package io.picrypt.face;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The default model's output subspace, derived from noise inputs only, against the faces of the sample photos. */
class EmbeddingSubspaceTest {
    static FacePipeline pipeline;
    static List<float[]> faces = new ArrayList<>();

    @BeforeAll
    static void open() {
        pipeline = FacePipeline.open(TestModels.dir());
        for (String photo : List.of("group-tracking.jpg", "group-facedetection.jpg", "portrait-facedetection.jpg")) {
            for (FaceEmbedding e : pipeline.embedAll(TestModels.sample(photo))) faces.add(e.vector());
        }
        assertTrue(faces.size() >= 8, "the sample photos hold at least 8 faces, got " + faces.size());
    }

    @AfterAll
    static void close() { pipeline.close(); }

    @Test
    void halfTheDimensionsKeepEveryFaceAndItsDistances() {
        EmbeddingSubspace s = EmbeddingSubspace.derive(pipeline, 256, 320, EmbeddingSubspace.DEFAULT_SEED);
        assertEquals(256, s.dimension());
        assertEquals(512, s.modelDimension());
        assertTrue(s.noiseEnergy(256) > 0.99999, "noise outputs inside 256 dimensions: " + s.noiseEnergy(256));
        for (float[] f : faces) assertTrue(s.captured(f) > 0.9999, "face energy kept: " + s.captured(f));
        double worst = 0;
        for (int i = 0; i < faces.size(); i++) {
            for (int j = i + 1; j < faces.size(); j++) {
                double full = FaceEmbedding.squaredDistance(faces.get(i), faces.get(j));
                double proj = FaceEmbedding.squaredDistance(s.project(faces.get(i)), s.project(faces.get(j)));
                worst = Math.max(worst, Math.abs(full - proj));
            }
        }
        assertTrue(worst < 1e-3, "squared distances change by " + worst);
        // not the identity in disguise: a direction the model never produces keeps about half its energy
        float[] g = new float[512];
        Random r = new Random(3);
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        double kept = s.captured(g);
        assertTrue(kept > 0.35 && kept < 0.65, "a random direction keeps ~256/512 of its energy: " + kept);
    }

    @Test
    void tooFewDimensionsLoseFacesMeasurably() {
        EmbeddingSubspace s = EmbeddingSubspace.derive(pipeline, 64, 96, EmbeddingSubspace.DEFAULT_SEED);
        double min = 1;
        for (float[] f : faces) min = Math.min(min, s.captured(f));
        assertTrue(min < 0.99, "64 dimensions keep every face's energy? min " + min);
        assertTrue(s.noiseEnergy(64) < 0.999, "noise outputs span more than 64 dimensions: " + s.noiseEnergy(64));
    }

    @Test
    void theSameSeedGivesTheSameBasis() {
        EmbeddingSubspace a = EmbeddingSubspace.derive(pipeline, 16, 20, 7), b = EmbeddingSubspace.derive(pipeline, 16, 20, 7);
        assertArrayEquals(a.coordinates(faces.get(0)), b.coordinates(faces.get(0)));
        float[] p = a.project(faces.get(0));
        double n = 0;
        for (float v : p) n += v * v;
        assertEquals(1.0, n, 1e-5, "projections are unit vectors");
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> EmbeddingSubspace.derive(pipeline, 0, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingSubspace.derive(pipeline, 513, 600, 1));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingSubspace.derive(pipeline, 32, 31, 1));
        EmbeddingSubspace s = EmbeddingSubspace.derive(pipeline, 8, 8, 1);
        assertThrows(IllegalArgumentException.class, () -> s.coordinates(new float[128]));
        assertThrows(IllegalArgumentException.class, () -> s.project(new float[512]));
    }
}
