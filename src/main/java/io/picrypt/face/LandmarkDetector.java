package io.picrypt.face;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

import static org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.copyMakeBorder;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * 68-point landmarks. Crop window (from the manifest): x0 = x1 - 0.05w, y0 = y1, 1.10w x 1.10h, zero-padded
 * where it leaves the image, grey, resized to 64x64, /256. Outputs are in [0,1] of that window and are mapped
 * back through the same (expanded) window: mapping through the raw box, as the faceplugin JS does, shifts them.
 */
final class LandmarkDetector {
    private final FaceModels.Landmark spec;
    private final InferenceEngine.Model model;

    LandmarkDetector(FaceModels.Landmark spec, InferenceEngine.Model model) {
        this.spec = spec;
        this.model = model;
    }

    Landmarks predict(Mat bgr, FaceBox box) { return predict(bgr, box, false); }

    /** {@code replicate}: the part of the window beyond the photo repeats the edge pixels instead of black. */
    Landmarks predict(Mat bgr, FaceBox box, boolean replicate) {
        int x0 = Math.round(box.x1() + spec.cropX() * box.width());
        int y0 = Math.round(box.y1() + spec.cropY() * box.height());
        int cw = Math.max(1, Math.round(spec.cropW() * box.width()));
        int ch = Math.max(1, Math.round(spec.cropH() * box.height()));
        Mat window = new Mat(ch, cw, CV_8UC1);
        window.put(new org.bytedeco.opencv.opencv_core.Scalar(0.0));
        int ix0 = Math.max(0, x0), iy0 = Math.max(0, y0);
        int ix1 = Math.min(bgr.cols(), x0 + cw), iy1 = Math.min(bgr.rows(), y0 + ch);
        if (ix1 > ix0 && iy1 > iy0) {
            Mat roi = bgr.apply(new Rect(ix0, iy0, ix1 - ix0, iy1 - iy0));
            Mat dst = window.apply(new Rect(ix0 - x0, iy0 - y0, ix1 - ix0, iy1 - iy0));
            cvtColor(roi, dst, COLOR_BGR2GRAY); // writes into the window's sub-matrix
            if (replicate && (ix0 > x0 || iy0 > y0 || ix1 < x0 + cw || iy1 < y0 + ch)) {
                Mat filled = new Mat();
                copyMakeBorder(dst, filled, iy0 - y0, y0 + ch - iy1, ix0 - x0, x0 + cw - ix1, BORDER_REPLICATE);
                window = filled;
            }
        }
        Mat in = new Mat();
        boolean shrinkMuch = cw > 2 * spec.width() && ch > 2 * spec.height();
        resize(window, in, new Size(spec.width(), spec.height()), 0, 0, shrinkMuch ? INTER_AREA : INTER_LINEAR);
        float[] out = model.run(Tensors.toTensor(in, spec.pre()), Tensors.shape(spec.pre(), spec.height(), spec.width()))
                .values().iterator().next();
        if (out.length != 2 * Landmarks.COUNT) {
            throw new FaceException(FaceException.Reason.MODEL, "landmark model returned " + out.length + " values, expected 136");
        }
        float[] xy = new float[out.length];
        for (int i = 0; i < Landmarks.COUNT; i++) {
            xy[2 * i] = x0 + out[2 * i] * cw;
            xy[2 * i + 1] = y0 + out[2 * i + 1] * ch;
        }
        return new Landmarks(xy);
    }
}
