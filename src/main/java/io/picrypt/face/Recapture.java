package io.picrypt.face;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Synthetic presentation attacks made from a genuine photo, for evaluating the liveness model where no
 * real attack data exists: what a camera sees when the photo is shown on a screen or printed. Deterministic
 * (no randomness), so tests and figures reproduce. These are simulations of some cues of a recapture
 * (moiré, colour cast, loss of detail, re-encoding, a device bezel), not physical attacks: a real replay on
 * a phone, a real print or a mask may look quite different (see docs/BENCHMARKS.md, "Liveness").
 */
public final class Recapture {
    private Recapture() {}

    /** The kinds of simulated attack. */
    public enum Kind {
        /** Screen replay: moiré from the pixel grid (3.3 px period, 12 degrees), blue cast, gamma, blur, JPEG q60. */
        SCREEN,
        /** Screen replay seen with its surroundings: SCREEN shrunk to 70 % inside a black bezel on a grey wall. */
        SCREEN_FRAMED,
        /** Print: washed-out contrast, 40 % desaturated, warm paper tint, halftone dots, blur, JPEG q75. */
        PRINT,
        /** Re-encoded screenshot: halved and scaled back up, then JPEG q35 twice. */
        RESHOT
    }

    /** A new 8-bit BGR image: {@code bgr} (8-bit BGR, not modified) as the given attack. */
    public static Mat make(Mat bgr, Kind kind) {
        return switch (kind) {
            case SCREEN -> screen(bgr);
            case SCREEN_FRAMED -> framed(bgr);
            case PRINT -> print(bgr);
            case RESHOT -> reshot(bgr);
        };
    }

    private static Mat screen(Mat src) {
        Mat m = src.clone();
        double theta = Math.toRadians(12), period = 3.3;
        double cx = Math.cos(theta), sy = Math.sin(theta);
        UByteIndexer ix = m.createIndexer();
        for (int y = 0; y < m.rows(); y++) {
            for (int x = 0; x < m.cols(); x++) {
                double wave = 1 + 0.12 * Math.sin(2 * Math.PI * (x * cx + y * sy) / period);
                double[] gain = {1.08, 1.0, 0.94}; // B, G, R: the cool white point of a typical LCD
                for (int c = 0; c < 3; c++) {
                    double v = Math.pow(ix.get(y, x, c) / 255.0, 0.8) * 255 * gain[c] * wave;
                    ix.put(y, x, c, clamp(v));
                }
            }
        }
        ix.release();
        GaussianBlur(m, m, new Size(0, 0), 0.8);
        return jpeg(m, 60);
    }

    private static Mat framed(Mat src) {
        Mat inner = screen(src);
        int w = src.cols(), h = src.rows();
        int iw = Math.max(8, (int) Math.round(w * 0.70)), ih = Math.max(8, (int) Math.round(h * 0.70));
        Mat small = new Mat();
        resize(inner, small, new Size(iw, ih), 0, 0, INTER_AREA);
        Mat out = new Mat(h, w, CV_8UC3, new Scalar(110, 110, 110, 0));
        int bezel = Math.max(3, iw / 20);
        int x0 = (w - iw) / 2, y0 = (h - ih) / 2;
        Rect device = new Rect(Math.max(0, x0 - bezel), Math.max(0, y0 - bezel),
                Math.min(w, iw + 2 * bezel) - 0, Math.min(h, ih + 2 * bezel));
        device = new Rect(device.x(), device.y(), Math.min(device.width(), w - device.x()), Math.min(device.height(), h - device.y()));
        out.apply(device).put(new Scalar(15, 15, 15, 0));
        small.copyTo(out.apply(new Rect(x0, y0, iw, ih)));
        return jpeg(out, 80);
    }

    private static Mat print(Mat src) {
        Mat m = src.clone();
        UByteIndexer ix = m.createIndexer();
        double[] tint = {0.93, 0.98, 1.0}; // B, G, R: warm paper
        for (int y = 0; y < m.rows(); y++) {
            for (int x = 0; x < m.cols(); x++) {
                double b = ix.get(y, x, 0), g = ix.get(y, x, 1), r = ix.get(y, x, 2);
                double grey = 0.114 * b + 0.587 * g + 0.299 * r;
                double dots = ((x % 4) < 2) == ((y % 4) < 2) ? 6 : -6; // 4 px halftone checker
                double[] v = {b, g, r};
                for (int c = 0; c < 3; c++) {
                    double d = 0.6 * v[c] + 0.4 * grey;
                    ix.put(y, x, c, clamp((0.75 * d + 35) * tint[c] + dots));
                }
            }
        }
        ix.release();
        GaussianBlur(m, m, new Size(0, 0), 1.0);
        return jpeg(m, 75);
    }

    private static Mat reshot(Mat src) {
        Mat half = new Mat(), back = new Mat();
        resize(src, half, new Size(Math.max(1, src.cols() / 2), Math.max(1, src.rows() / 2)), 0, 0, INTER_AREA);
        resize(half, back, new Size(src.cols(), src.rows()), 0, 0, INTER_LINEAR);
        return jpeg(jpeg(back, 35), 35);
    }

    private static Mat jpeg(Mat m, int quality) {
        BytePointer buf = new BytePointer();
        if (!imencode(".jpg", m, buf, new org.bytedeco.javacpp.IntPointer(IMWRITE_JPEG_QUALITY, quality))) throw new IllegalStateException("JPEG encoding failed");
        byte[] bytes = new byte[(int) buf.limit()];
        buf.get(bytes);
        buf.deallocate();
        return imdecode(new Mat(bytes), IMREAD_COLOR);
    }

    private static int clamp(double v) { return (int) Math.max(0, Math.min(255, Math.round(v))); }
}
