package io.picrypt.imagediff;

import java.nio.file.Path;
import java.util.Random;

/**
 * A deterministic demo pair: the same textured RGB background (smooth value noise, stripes and fine
 * grain) with a striped disc ("the object") at one place in the before frame and moved in the after
 * frame. Both frames share every background pixel, so the difference shows the object twice.
 *
 * @param before   the first frame
 * @param after    the second frame
 * @param centreX0 object centre in the before frame
 * @param centreY0 object centre in the before frame
 * @param centreX1 object centre in the after frame
 * @param centreY1 object centre in the after frame
 * @param radius   object radius in pixels
 */
public record SyntheticPair(RawImage before, RawImage after, int centreX0, int centreY0, int centreX1, int centreY1, int radius) {
    public static final int DEFAULT_WIDTH = 640;
    public static final int DEFAULT_HEIGHT = 360;

    public static SyntheticPair generate() {
        return generate(DEFAULT_WIDTH, DEFAULT_HEIGHT, 6);
    }

    public static SyntheticPair generate(int width, int height, long seed) {
        if (width < 8 || height < 8) throw new IllegalArgumentException("synthetic pair needs at least 8x8 pixels");
        if ((long) width * height > ImageFiles.DEFAULT_MAX_PIXELS) throw new IllegalArgumentException("synthetic pair too large");
        byte[] background = background(width, height, seed);
        int r = Math.max(2, Math.min(width, height) / 8);
        int x0 = width / 4, y0 = height / 2 - height / 10;
        int x1 = width - width / 4, y1 = height / 2 + height / 10;
        return new SyntheticPair(new RawImage(width, height, 3, withObject(background, width, height, x0, y0, r)),
                new RawImage(width, height, 3, withObject(background, width, height, x1, y1, r)), x0, y0, x1, y1, r);
    }

    /** The same pair as 1-channel grey (integer Rec. 601 luma). */
    public SyntheticPair grey() {
        return new SyntheticPair(luma(before), luma(after), centreX0, centreY0, centreX1, centreY1, radius);
    }

    private static RawImage luma(RawImage rgb) {
        if (rgb.channels() == 1) return rgb;
        byte[] s = rgb.samplesShared(), out = new byte[rgb.width() * rgb.height()];
        for (int p = 0; p < out.length; p++) {
            out[p] = (byte) ((299 * (s[3 * p] & 0xff) + 587 * (s[3 * p + 1] & 0xff) + 114 * (s[3 * p + 2] & 0xff) + 500) / 1000);
        }
        return new RawImage(rgb.width(), rgb.height(), 1, out);
    }

    /** Distance the object moved, in pixels. */
    public double displacement() {
        return Math.hypot(centreX1 - centreX0, centreY1 - centreY0);
    }

    /** Writes before.png and after.png into dir; returns {before, after}. */
    public Path[] writeTo(Path dir) {
        Path b = dir.resolve("before.png"), a = dir.resolve("after.png");
        ImageFiles.writePng(before, b);
        ImageFiles.writePng(after, a);
        return new Path[]{b, a};
    }

    private static byte[] background(int w, int h, long seed) {
        Random rnd = new Random(seed);
        int cell = 24;
        int gw = w / cell + 2, gh = h / cell + 2;
        double[][][] lattice = new double[3][gh][gw];
        for (double[][] ch : lattice) for (double[] row : ch) for (int i = 0; i < row.length; i++) row[i] = rnd.nextDouble();
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            int gy = y / cell;
            double fy = smooth((y % cell) / (double) cell);
            for (int x = 0; x < w; x++) {
                int gx = x / cell;
                double fx = smooth((x % cell) / (double) cell);
                double stripes = 0.5 + 0.5 * Math.sin((x + 0.6 * y) / 7.0);
                for (int c = 0; c < 3; c++) {
                    double[][] l = lattice[c];
                    double top = l[gy][gx] * (1 - fx) + l[gy][gx + 1] * fx;
                    double bottom = l[gy + 1][gx] * (1 - fx) + l[gy + 1][gx + 1] * fx;
                    double noise = top * (1 - fy) + bottom * fy;
                    double grain = rnd.nextInt(21) - 10;
                    double v = 40 + 120 * noise + 50 * stripes * (c == 1 ? 0.6 : 1.0) + grain;
                    out[(y * w + x) * 3 + c] = (byte) Math.max(0, Math.min(255, (int) Math.round(v)));
                }
            }
        }
        return out;
    }

    private static double smooth(double t) {
        return t * t * (3 - 2 * t);
    }

    private static byte[] withObject(byte[] background, int w, int h, int cx, int cy, int r) {
        byte[] out = background.clone();
        for (int y = Math.max(0, cy - r); y <= Math.min(h - 1, cy + r); y++) {
            for (int x = Math.max(0, cx - r); x <= Math.min(w - 1, cx + r); x++) {
                int dx = x - cx, dy = y - cy;
                if (dx * dx + dy * dy > r * r) continue;
                boolean band = ((dx + r) * 6 / Math.max(1, 2 * r)) % 2 == 0; // vertical stripes on the object
                int i = (y * w + x) * 3;
                out[i] = (byte) (band ? 230 : 250);
                out[i + 1] = (byte) (band ? 40 : 200);
                out[i + 2] = (byte) (band ? 30 : 20);
            }
        }
        return out;
    }
}
