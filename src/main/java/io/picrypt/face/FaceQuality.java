package io.picrypt.face;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

import java.util.List;
import java.util.Locale;

import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.meanStdDev;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.Laplacian;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

/**
 * Quality measures of one face, computed from its landmarks and its aligned crop, and the warnings the
 * {@link QualityPolicy} raised for it (refusals are thrown instead).
 *
 * @param eyeDistance      distance between the two eye centres (means of iBUG points 36-41 and 42-47), pixels of the photo
 * @param sharpness        variance of the 3x3 Laplacian of the aligned grey face over its inner region (eyes to chin),
 *                         grey levels squared; a sharp 112x112 face scores in the hundreds, a strongly blurred one below ~20
 * @param yaw              left-right turn from the landmarks, in [-1, 1]: (a - b) / (a + b) with a, b the distances from
 *                         the nose tip (point 30) to the face contour's ends (points 0 and 16) along the eye axis;
 *                         0 frontal, +-1 profile (the sign says which way)
 * @param lowerFaceTexture mean |Laplacian| of the aligned face's mouth-and-chin band divided by that of its eye band;
 *                         a mask or scarf over the lower face makes it smooth and the ratio small
 * @param warnings         one sentence per failed check whose action is WARN (empty when none)
 */
public record FaceQuality(double eyeDistance, double sharpness, double yaw, double lowerFaceTexture, List<String> warnings) {
    public FaceQuality {
        warnings = List.copyOf(warnings);
    }

    /** Not measured (e.g. an embedding made before the gate existed). */
    public static final FaceQuality UNKNOWN = new FaceQuality(Double.NaN, Double.NaN, Double.NaN, Double.NaN, List.of());

    FaceQuality withWarnings(List<String> w) { return new FaceQuality(eyeDistance, sharpness, yaw, lowerFaceTexture, w); }

    /** The measures of {@code face}, whose aligned crop (112x112 BGR, ArcFace template) is {@code aligned}. */
    static FaceQuality measure(DetectedFace face, Mat aligned) {
        float[] p = face.landmarks().fivePoints();
        double ex = p[2] - p[0], ey = p[3] - p[1];
        double eyes = Math.hypot(ex, ey);
        double yaw = Double.NaN;
        if (eyes > 1e-6) {
            double ux = ex / eyes, uy = ey / eyes; // eye axis
            Landmarks l = face.landmarks();
            double a = (l.x(30) - l.x(0)) * ux + (l.y(30) - l.y(0)) * uy;
            double b = (l.x(16) - l.x(30)) * ux + (l.y(16) - l.y(30)) * uy;
            yaw = Math.abs(a) + Math.abs(b) < 1e-6 ? 0 : Math.max(-1, Math.min(1, (a - b) / (Math.abs(a) + Math.abs(b))));
        }
        Mat grey = new Mat();
        cvtColor(aligned, grey, COLOR_BGR2GRAY);
        Mat lap = new Mat();
        Laplacian(grey, lap, CV_64F);
        // bands in the 112x112 ArcFace frame (eyes at y~51, mouth at y~92), scaled for other crop sizes
        double sx = aligned.cols() / 112.0, sy = aligned.rows() / 112.0;
        Rect inner = rect(24, 36, 64, 68, sx, sy), eyesBand = rect(24, 40, 64, 22, sx, sy), mouthBand = rect(30, 78, 52, 30, sx, sy);
        double sharp = sq(std(lap.apply(inner)));
        Mat abs = org.bytedeco.opencv.global.opencv_core.abs(lap).asMat();
        double upper = mean(abs.apply(eyesBand)), lower = mean(abs.apply(mouthBand));
        return new FaceQuality(eyes, sharp, yaw, upper > 1e-9 ? lower / upper : 1.0, List.of());
    }

    private static Rect rect(int x, int y, int w, int h, double sx, double sy) {
        return new Rect((int) Math.round(x * sx), (int) Math.round(y * sy), Math.max(1, (int) Math.round(w * sx)), Math.max(1, (int) Math.round(h * sy)));
    }

    private static double std(Mat m) {
        Mat mean = new Mat(), sd = new Mat();
        meanStdDev(m, mean, sd);
        return sd.createIndexer() instanceof org.bytedeco.javacpp.indexer.DoubleIndexer di ? di.get(0) : 0;
    }

    private static double mean(Mat m) {
        return org.bytedeco.opencv.global.opencv_core.mean(m).get(0);
    }

    private static double sq(double v) { return v * v; }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "FaceQuality[eyes %.1f px, sharpness %.0f, yaw %.2f, lower/upper texture %.2f%s]",
                eyeDistance, sharpness, yaw, lowerFaceTexture, warnings.isEmpty() ? "" : ", " + warnings);
    }
}
