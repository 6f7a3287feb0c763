package io.picrypt.face;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_CUBIC;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;
import static org.bytedeco.opencv.global.opencv_imgproc.warpAffine;

/**
 * Turns a face into the embedding model's input image: a least-squares similarity transform (Umeyama,
 * rotation + uniform scale + translation, never a reflection) of the five landmark points onto the template,
 * then {@code warpAffine} with bilinear sampling. When the face shrinks by more than 2x, the region is first
 * downscaled with INTER_AREA (bilinear alone would alias; measured to raise the weakest genuine score).
 */
public final class FaceAligner {
    private FaceAligner() {}

    /**
     * Least-squares similarity mapping {@code src} points onto {@code dst} points (x,y pairs, n >= 2), as a
     * 2x3 row-major affine matrix [a -b tx; b a ty]. In 2-D, Umeyama's rotation+scale with det(R) = +1 is the
     * complex number q = sum (w_i - w̄) conj(z_i - z̄) / sum |z_i - z̄|^2, which is what we compute.
     */
    public static double[] umeyama(double[] src, double[] dst) {
        int n = src.length / 2;
        if (n < 2 || src.length != dst.length || src.length % 2 != 0) throw new IllegalArgumentException("need >= 2 matching points");
        double msx = 0, msy = 0, mdx = 0, mdy = 0;
        for (int i = 0; i < n; i++) {
            msx += src[2 * i]; msy += src[2 * i + 1]; mdx += dst[2 * i]; mdy += dst[2 * i + 1];
        }
        msx /= n; msy /= n; mdx /= n; mdy /= n;
        double num_re = 0, num_im = 0, den = 0;
        for (int i = 0; i < n; i++) {
            double zx = src[2 * i] - msx, zy = src[2 * i + 1] - msy;
            double wx = dst[2 * i] - mdx, wy = dst[2 * i + 1] - mdy;
            // (w) * conj(z) = (wx + i wy)(zx - i zy)
            num_re += wx * zx + wy * zy;
            num_im += wy * zx - wx * zy;
            den += zx * zx + zy * zy;
        }
        if (den < 1e-12) throw new IllegalArgumentException("landmark points are degenerate (all at one spot)");
        double a = num_re / den, b = num_im / den;
        double tx = mdx - (a * msx - b * msy);
        double ty = mdy - (b * msx + a * msy);
        return new double[]{a, -b, tx, b, a, ty};
    }

    /** Scale factor of a similarity matrix (sqrt(det) of its linear part). */
    public static double scale(double[] m) { return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3])); }

    /** Applies a 2x3 matrix to point (x, y). */
    public static double[] apply(double[] m, double x, double y) {
        return new double[]{m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]};
    }

    /** The transform for one face under the model's alignment settings. */
    static double[] transform(FaceModels.Alignment a, DetectedFace face) {
        if (a.method().equals(FaceModels.Alignment.BOX_CROP)) {
            FaceBox b = face.box();
            double side = Math.max(b.width(), b.height()) * (1 + 2 * a.margin());
            double cx = (b.x1() + b.x2()) / 2, cy = (b.y1() + b.y2()) / 2;
            double sx = a.width() / side, sy = a.height() / side;
            return new double[]{sx, 0, a.width() / 2.0 - sx * cx, 0, sy, a.height() / 2.0 - sy * cy};
        }
        float[] p = face.landmarks().fivePoints();
        double[] src = new double[10];
        for (int i = 0; i < 10; i++) src[i] = p[i];
        return umeyama(src, a.template());
    }

    /**
     * Warps {@code bgr} with {@code m} into a {@code w x h} image. When the scale is below 0.5, the bounding
     * region of the output is cut out and downscaled with INTER_AREA first, so warpAffine only rotates and
     * moves (scale ~1) and every source pixel contributes.
     */
    static Mat warp(Mat bgr, double[] m, int w, int h) { return warp(bgr, m, w, h, false, false); }

    /**
     * As {@link #warp(Mat, double[], int, int)}; {@code replicate} fills beyond the photo's edge with its edge
     * pixels instead of black, {@code cubic} samples bicubically when the face is enlarged (scale > 1).
     */
    static Mat warp(Mat bgr, double[] m, int w, int h, boolean replicate, boolean cubic) {
        double s = scale(m);
        double[] mm = m;
        Mat src = bgr;
        if (s < 0.5) {
            double[] inv = invert(m);
            double minX = Double.MAX_VALUE, minY = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
            for (double[] c : new double[][]{{0, 0}, {w, 0}, {0, h}, {w, h}}) {
                double[] q = apply(inv, c[0], c[1]);
                minX = Math.min(minX, q[0]); maxX = Math.max(maxX, q[0]);
                minY = Math.min(minY, q[1]); maxY = Math.max(maxY, q[1]);
            }
            int x0 = Math.max(0, (int) Math.floor(minX) - 2), y0 = Math.max(0, (int) Math.floor(minY) - 2);
            int x1 = Math.min(bgr.cols(), (int) Math.ceil(maxX) + 2), y1 = Math.min(bgr.rows(), (int) Math.ceil(maxY) + 2);
            if (x1 - x0 >= 2 && y1 - y0 >= 2) {
                int rw = x1 - x0, rh = y1 - y0;
                int nw = Math.max(1, (int) Math.round(rw * s)), nh = Math.max(1, (int) Math.round(rh * s));
                src = new Mat();
                resize(bgr.apply(new Rect(x0, y0, rw, rh)), src, new Size(nw, nh), 0, 0, INTER_AREA);
                double fx = (double) nw / rw, fy = (double) nh / rh;
                // p = q / f + origin  =>  M'(q) = A (q / f) + (A origin + t)
                mm = new double[]{m[0] / fx, m[1] / fy, m[0] * x0 + m[1] * y0 + m[2],
                        m[3] / fx, m[4] / fy, m[3] * x0 + m[4] * y0 + m[5]};
            }
        }
        Mat mat = new Mat(2, 3, CV_64F);
        java.nio.DoubleBuffer db = mat.createBuffer();
        db.put(mm);
        Mat out = new Mat();
        warpAffine(src, out, mat, new Size(w, h), cubic && s > 1 ? INTER_CUBIC : INTER_LINEAR,
                replicate ? BORDER_REPLICATE : BORDER_CONSTANT, new Scalar(0, 0, 0, 0));
        return out;
    }

    static double[] invert(double[] m) {
        double det = m[0] * m[4] - m[1] * m[3];
        double a = m[4] / det, b = -m[1] / det, c = -m[3] / det, d = m[0] / det;
        return new double[]{a, b, -(a * m[2] + b * m[5]), c, d, -(c * m[2] + d * m[5])};
    }
}
