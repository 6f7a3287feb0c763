package io.picrypt.face;

import org.bytedeco.opencv.opencv_core.Mat;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/** 8-bit Mats to normalised float tensors, following a manifest {@link FaceModels.Preprocess}. */
final class Tensors {
    private Tensors() {}

    /**
     * {@code img} is 8-bit BGR (3 channels) for RGB/BGR inputs or 8-bit grey for GREY inputs, already at the
     * model's input size. Returns (p - mean[c]) / std[c] in NCHW or NHWC order with channels in {@code pre}'s order.
     */
    static float[] toTensor(Mat img, FaceModels.Preprocess pre) {
        int ch = pre.channels();
        if (img.type() != (ch == 1 ? CV_8UC1 : CV_8UC3)) throw new IllegalArgumentException("unexpected Mat type " + img.type());
        int h = img.rows(), w = img.cols();
        byte[] px = new byte[h * w * ch];
        Mat src = img.isContinuous() ? img : img.clone();
        src.data().get(px);
        float[] out = new float[px.length];
        // source channel for each destination channel: BGR Mat -> RGB tensor swaps 0 and 2
        int[] from = ch == 1 ? new int[]{0} : pre.colourOrder().equals("RGB") ? new int[]{2, 1, 0} : new int[]{0, 1, 2};
        float[] scale = new float[ch], shift = new float[ch];
        for (int c = 0; c < ch; c++) {
            scale[c] = 1f / pre.std()[c];
            shift[c] = -pre.mean()[c] / pre.std()[c];
        }
        boolean nchw = pre.layout().equals("NCHW");
        int plane = h * w;
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < ch; c++) {
                float v = (px[i * ch + from[c]] & 0xFF) * scale[c] + shift[c];
                out[nchw ? c * plane + i : i * ch + c] = v;
            }
        }
        return out;
    }

    static long[] shape(FaceModels.Preprocess pre, int h, int w) {
        return pre.layout().equals("NCHW") ? new long[]{1, pre.channels(), h, w} : new long[]{1, h, w, pre.channels()};
    }
}
