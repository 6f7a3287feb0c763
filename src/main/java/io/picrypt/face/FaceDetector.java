package io.picrypt.face;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.copyMakeBorder;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Ultra-Light RFB-320 detector. The exported model already softmaxes {@code scores} (column 1 = face) and
 * decodes {@code boxes} to corners in [0,1] of its input, so no prior boxes are needed here. Post-processing:
 * confidence threshold, top-k by score, greedy IoU NMS (by score, not by y2 as the faceplugin JS does).
 */
final class FaceDetector {
    private final FaceModels.Detector spec;
    private final InferenceEngine.Model model;

    FaceDetector(FaceModels.Detector spec, InferenceEngine.Model model) {
        this.spec = spec;
        this.model = model;
    }

    /** {@link #detect(Mat, PipelineTuning)} without padding before the first pass. */
    List<FaceBox> detect(Mat bgr) { return detect(bgr, PipelineTuning.BASELINE); }

    /**
     * Faces sorted by score, boxes in pixels of {@code bgr} (a box may reach past the edge when the face does).
     * With {@code tuning.letterbox()} / {@code margin()} the photo is first padded with black (to the detector's
     * aspect ratio / by a fraction per side); when nothing is found, retries once padded by 25% per side (tight crops).
     */
    List<FaceBox> detect(Mat bgr, PipelineTuning tuning) {
        int w = bgr.cols(), h = bgr.rows();
        int px = (int) Math.round(w * tuning.margin()), py = (int) Math.round(h * tuning.margin());
        if (tuning.letterbox()) {
            // grow the short side (after the margin) until width:height equals the detector input's
            double target = (double) spec.width() / spec.height(), pw = w + 2.0 * px, ph = h + 2.0 * py;
            if (pw / ph < target) px += (int) Math.round((ph * target - pw) / 2);
            else py += (int) Math.round((pw / target - ph) / 2);
        }
        List<FaceBox> faces = detectPadded(bgr, px, py);
        if (!faces.isEmpty() || spec.retryPadding() <= 0) return faces;
        int rx = Math.max(px, Math.round(w * spec.retryPadding())), ry = Math.max(py, Math.round(h * spec.retryPadding()));
        if (rx == px && ry == py) return faces;
        return detectPadded(bgr, rx, ry);
    }

    private List<FaceBox> detectPadded(Mat bgr, int px, int py) {
        if (px == 0 && py == 0) return detectOnce(bgr);
        Mat padded = new Mat();
        copyMakeBorder(bgr, padded, py, py, px, px, BORDER_CONSTANT, new Scalar(0, 0, 0, 0));
        List<FaceBox> out = new ArrayList<>();
        for (FaceBox b : detectOnce(padded)) {
            out.add(new FaceBox(b.x1() - px, b.y1() - py, b.x2() - px, b.y2() - py, b.score()));
        }
        padded.release();
        return out;
    }

    List<FaceBox> detectOnce(Mat bgr) {
        int w = bgr.cols(), h = bgr.rows();
        Mat small = new Mat();
        // INTER_AREA when shrinking a lot: bilinear would alias (skip pixels) on big photos
        boolean shrinkMuch = w > 2 * spec.width() && h > 2 * spec.height();
        resize(bgr, small, new Size(spec.width(), spec.height()), 0, 0, shrinkMuch ? INTER_AREA : INTER_LINEAR);
        float[] input = Tensors.toTensor(small, spec.pre());
        small.release();
        Map<String, float[]> out = model.run(input, Tensors.shape(spec.pre(), spec.height(), spec.width()));
        float[] scores = out.get("scores");
        float[] boxes = out.get("boxes");
        if (scores == null || boxes == null || scores.length / 2 != boxes.length / 4) {
            throw new FaceException(FaceException.Reason.MODEL, "detector outputs must be 'scores' [1,N,2] and 'boxes' [1,N,4], got " + out.keySet());
        }
        return postprocess(scores, boxes, w, h, spec.confidence(), spec.topK(), spec.nmsIou());
    }

    /** Threshold, top-k, NMS; boxes scaled from [0,1] to image pixels. */
    static List<FaceBox> postprocess(float[] scores, float[] boxes, int w, int h, float confidence, int topK, float nmsIou) {
        int n = scores.length / 2;
        List<FaceBox> cand = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float s = scores[2 * i + 1];
            if (s < confidence) continue;
            float x1 = boxes[4 * i] * w, y1 = boxes[4 * i + 1] * h, x2 = boxes[4 * i + 2] * w, y2 = boxes[4 * i + 3] * h;
            if (x2 <= x1 || y2 <= y1) continue;
            cand.add(new FaceBox(x1, y1, x2, y2, s));
        }
        cand.sort(Comparator.comparingDouble(FaceBox::score).reversed());
        if (cand.size() > topK) cand = new ArrayList<>(cand.subList(0, topK));
        List<FaceBox> keep = new ArrayList<>();
        for (FaceBox c : cand) {
            boolean suppressed = false;
            for (FaceBox k : keep) {
                if (k.iou(c) > nmsIou) { suppressed = true; break; }
            }
            if (!suppressed) keep.add(c);
        }
        return keep;
    }
}
