package io.picrypt.face;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.circle;
import static org.junit.jupiter.api.Assertions.*;

/** Umeyama similarity on synthetic points and warp geometry on synthetic images. */
class FaceAlignerTest {
    static final double[] TEMPLATE = {38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041};

    /** Maps points with scale s, rotation theta (radians), translation (tx, ty). */
    static double[] similarity(double[] p, double s, double theta, double tx, double ty) {
        double[] q = new double[p.length];
        for (int i = 0; i < p.length / 2; i++) {
            double x = p[2 * i], y = p[2 * i + 1];
            q[2 * i] = s * (Math.cos(theta) * x - Math.sin(theta) * y) + tx;
            q[2 * i + 1] = s * (Math.sin(theta) * x + Math.cos(theta) * y) + ty;
        }
        return q;
    }

    static double residual(double[] m, double[] src, double[] dst) {
        double r = 0;
        for (int i = 0; i < src.length / 2; i++) {
            double[] q = FaceAligner.apply(m, src[2 * i], src[2 * i + 1]);
            r += Math.pow(q[0] - dst[2 * i], 2) + Math.pow(q[1] - dst[2 * i + 1], 2);
        }
        return r;
    }

    @Test
    void recoversAnExactSimilarity() {
        // face points in a photo = template scaled by 3.7, rotated 25 degrees, moved
        double[] photo = similarity(TEMPLATE, 3.7, Math.toRadians(25), 400, -80);
        double[] m = FaceAligner.umeyama(photo, TEMPLATE);
        assertEquals(1 / 3.7, FaceAligner.scale(m), 1e-9);
        assertEquals(Math.toRadians(-25), Math.atan2(m[3], m[0]), 1e-9);
        assertEquals(0, residual(m, photo, TEMPLATE), 1e-12);
    }

    @Test
    void isTheLeastSquaresOptimumUnderNoise() {
        Random r = new Random(42);
        double[] photo = similarity(TEMPLATE, 2.0, Math.toRadians(-12), 130, 55);
        for (int i = 0; i < photo.length; i++) photo[i] += r.nextGaussian() * 2.0;
        double[] m = FaceAligner.umeyama(photo, TEMPLATE);
        double best = residual(m, photo, TEMPLATE);
        // no small change of the four similarity parameters does better
        double[][] deltas = {{1e-3, 0, 0, 0}, {-1e-3, 0, 0, 0}, {0, 1e-3, 0, 0}, {0, -1e-3, 0, 0}, {0, 0, 0.05, 0}, {0, 0, -0.05, 0},
                {0, 0, 0, 0.05}, {0, 0, 0, -0.05}};
        for (double[] d : deltas) {
            double a = m[0] + d[0], b = m[3] + d[1];
            double[] other = {a, -b, m[2] + d[2], b, a, m[5] + d[3]};
            assertTrue(residual(other, photo, TEMPLATE) > best, "perturbation " + java.util.Arrays.toString(d) + " is worse");
        }
    }

    @Test
    void neverReflects() {
        // mirrored points (x -> -x): the best similarity without reflection still has a positive determinant
        double[] mirrored = TEMPLATE.clone();
        for (int i = 0; i < 5; i++) mirrored[2 * i] = 200 - mirrored[2 * i];
        double[] m = FaceAligner.umeyama(mirrored, TEMPLATE);
        assertTrue(m[0] * m[4] - m[1] * m[3] > 0, "det > 0");
        assertEquals(m[0], m[4], 1e-12);
        assertEquals(-m[1], m[3], 1e-12);
    }

    @Test
    void degeneratePointsAreRejected() {
        double[] same = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
        assertThrows(IllegalArgumentException.class, () -> FaceAligner.umeyama(same, TEMPLATE));
    }

    @Test
    void invertIsTheInverse() {
        double[] m = FaceAligner.umeyama(similarity(TEMPLATE, 0.3, 1.1, -7, 9), TEMPLATE);
        double[] inv = FaceAligner.invert(m);
        double[] p = FaceAligner.apply(inv, 12.5, -3.25);
        double[] q = FaceAligner.apply(m, p[0], p[1]);
        assertEquals(12.5, q[0], 1e-9);
        assertEquals(-3.25, q[1], 1e-9);
    }

    /** Draws white dots at the five points of a face at the given scale/rotation and checks they land on the template. */
    private void dotsLandOnTheTemplate(double scale, double degrees) {
        try (PointerScope s = new PointerScope()) {
            int size = (int) Math.ceil(200 * scale) + 100;
            double[] photo = similarity(TEMPLATE, scale, Math.toRadians(degrees), size / 2.0 - 56 * scale, size / 2.0 - 72 * scale);
            Mat img = new Mat(size, size, CV_8UC3, new Scalar(0, 0, 0, 0));
            int r = (int) Math.max(2, Math.round(2.5 * scale));
            for (int i = 0; i < 5; i++) {
                circle(img, new Point((int) Math.round(photo[2 * i]), (int) Math.round(photo[2 * i + 1])), r, new Scalar(255, 255, 255, 0), -1, 8, 0);
            }
            double[] m = FaceAligner.umeyama(photo, TEMPLATE);
            Mat out = FaceAligner.warp(img, m, 112, 112);
            assertEquals(112, out.cols());
            java.nio.ByteBuffer px = out.createBuffer();
            for (int i = 0; i < 5; i++) {
                // brightness-weighted centroid in a 9x9 window around the template point
                int cx = (int) Math.round(TEMPLATE[2 * i]), cy = (int) Math.round(TEMPLATE[2 * i + 1]);
                double sw = 0, sx = 0, sy = 0;
                for (int y = cy - 4; y <= cy + 4; y++) {
                    for (int x = cx - 4; x <= cx + 4; x++) {
                        double v = px.get((y * 112 + x) * 3) & 0xFF;
                        sw += v; sx += v * x; sy += v * y;
                    }
                }
                assertTrue(sw > 0, "dot " + i + " is near its template point (scale " + scale + ")");
                assertEquals(TEMPLATE[2 * i], sx / sw, 1.0, "dot " + i + " x at scale " + scale);
                assertEquals(TEMPLATE[2 * i + 1], sy / sw, 1.0, "dot " + i + " y at scale " + scale);
            }
        }
    }

    @Test
    void warpPutsTheFivePointsOnTheTemplate() {
        dotsLandOnTheTemplate(1.3, 15);
    }

    @Test
    void warpWithAreaPreDownscaleKeepsTheGeometry() {
        dotsLandOnTheTemplate(6.0, -20); // the face shrinks 6x: INTER_AREA first, then warpAffine
    }

    @Test
    void boxCropAlignmentCentresTheBox() {
        FaceModels.Alignment a = new FaceModels.Alignment(FaceModels.Alignment.BOX_CROP, 160, 160, null, 0.1);
        DetectedFace f = new DetectedFace(new FaceBox(100, 50, 200, 150, 1f), null);
        double[] m = FaceAligner.transform(a, f);
        double[] c = FaceAligner.apply(m, 150, 100);
        assertEquals(80, c[0], 1e-9);
        assertEquals(80, c[1], 1e-9);
        double[] corner = FaceAligner.apply(m, 100, 50);
        assertEquals(160 * 0.1 / 1.2, corner[0], 1e-9, "10% margin on each side");
    }
}
