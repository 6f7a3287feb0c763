package io.picrypt.face;

import org.bytedeco.opencv.opencv_core.Mat;

import java.util.HashMap;
import java.util.Map;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/** 8-bit Mats to normalised float tensors, following a manifest {@link FaceModels.Preprocess}. */
final class Tensors {
    private Tensors() {}

    /*
     * Per-thread scratch arrays, reused across calls: a fresh 900 KB float[] per detector call measured
     * 2-3 ms (allocation outside the TLAB + first-touch page faults), more than the conversion itself.
     */
    private static final ThreadLocal<Map<Integer, float[]>> FLOATS = ThreadLocal.withInitial(HashMap::new);
    private static final ThreadLocal<Map<Integer, byte[]>> BYTES = ThreadLocal.withInitial(HashMap::new);

    /**
     * {@code img} is 8-bit BGR (3 channels) for RGB/BGR inputs or 8-bit grey for GREY inputs, already at the
     * model's input size. Returns (p - mean[c]) / std[c] in NCHW or NHWC order with channels in {@code pre}'s order.
     * The array is a per-thread scratch buffer: valid until this thread's next call with the same size.
     */
    static float[] toTensor(Mat img, FaceModels.Preprocess pre) {
        int ch = pre.channels();
        if (img.type() != (ch == 1 ? CV_8UC1 : CV_8UC3)) throw new IllegalArgumentException("unexpected Mat type " + img.type());
        int h = img.rows(), w = img.cols();
        int n = h * w * ch;
        byte[] px = BYTES.get().computeIfAbsent(n, byte[]::new);
        Mat src = img.isContinuous() ? img : img.clone();
        src.data().capacity(n).get(px);
        float[] out = FLOATS.get().computeIfAbsent(n, float[]::new);
        // source channel for each destination channel: BGR Mat -> RGB tensor swaps 0 and 2
        int[] from = ch == 1 ? new int[]{0} : pre.colourOrder().equals("RGB") ? new int[]{2, 1, 0} : new int[]{0, 1, 2};
        float[] scale = new float[ch], shift = new float[ch];
        for (int c = 0; c < ch; c++) {
            scale[c] = 1f / pre.std()[c];
            shift[c] = -pre.mean()[c] / pre.std()[c];
        }
        int plane = h * w;
        if (pre.layout().equals("NCHW")) {
            for (int c = 0; c < ch; c++) {
                int sc = from[c], base = c * plane;
                float sk = scale[c], sh = shift[c];
                for (int i = 0, j = sc; i < plane; i++, j += ch) out[base + i] = (px[j] & 0xFF) * sk + sh;
            }
        } else {
            for (int i = 0; i < plane; i++) {
                for (int c = 0; c < ch; c++) out[i * ch + c] = (px[i * ch + from[c]] & 0xFF) * scale[c] + shift[c];
            }
        }
        return out;
    }

    static long[] shape(FaceModels.Preprocess pre, int h, int w) {
        return pre.layout().equals("NCHW") ? new long[]{1, pre.channels(), h, w} : new long[]{1, h, w, pre.channels()};
    }
}
