package io.picrypt.imagediff;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * A decrypted difference after - before: one signed value in [-255, 255] per sample, row-major,
 * channels interleaved like {@link RawImage}. Immutable.
 */
public final class DiffImage {
    private final int width;
    private final int height;
    private final int channels;
    private final short[] values;

    public DiffImage(int width, int height, int channels, short[] values) {
        if (width < 1 || height < 1 || (channels != 1 && channels != 3) || values.length != (long) width * height * channels) {
            throw new IllegalArgumentException("bad difference shape " + width + "x" + height + "x" + channels + " with " + values.length + " values");
        }
        for (short v : values) if (v < -255 || v > 255) throw new IllegalArgumentException("difference value out of range: " + v);
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.values = values.clone();
    }

    /** The plaintext reference after - before (what the encrypted path must reproduce exactly). */
    public static DiffImage plain(RawImage before, RawImage after) {
        if (!before.sameShape(after)) {
            throw new ImageDiffException(ImageDiffException.Reason.SIZE_MISMATCH, "images differ in size: " + before + " vs " + after);
        }
        byte[] a = after.samplesShared(), b = before.samplesShared();
        short[] d = new short[a.length];
        for (int i = 0; i < a.length; i++) d[i] = (short) ((a[i] & 0xff) - (b[i] & 0xff));
        return new DiffImage(before.width(), before.height(), before.channels(), d);
    }

    public int width() { return width; }

    public int height() { return height; }

    public int channels() { return channels; }

    public int value(int i) { return values[i]; }

    public int value(int x, int y, int c) { return values[(y * width + x) * channels + c]; }

    public short[] values() { return values.clone(); }

    /** Samples (one per channel of each pixel) that differ. */
    public long changedSamples() {
        long n = 0;
        for (int v : values) if (v != 0) n++;
        return n;
    }

    /** Pixels where any channel differs. */
    public long changedPixels() {
        long n = 0;
        for (int p = 0; p < width * height; p++) {
            for (int c = 0; c < channels; c++) {
                if (values[p * channels + c] != 0) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    /** |after - before| per sample, as an 8-bit image with the input's channels (the default output). */
    public RawImage absolute() {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) out[i] = (byte) Math.abs(values[i]);
        return new RawImage(width, height, channels, out);
    }

    /**
     * Sign colour map, RGB: mid grey where nothing changed, towards red where after is brighter, towards
     * blue where it is darker. Per pixel, the channel with the largest |difference| decides.
     */
    public RawImage signed() {
        byte[] out = new byte[width * height * 3];
        for (int p = 0; p < width * height; p++) {
            int s = 0;
            for (int c = 0; c < channels; c++) {
                int v = values[p * channels + c];
                if (Math.abs(v) > Math.abs(s)) s = v;
            }
            int m = Math.abs(s);
            int hi = 128 + m * 127 / 255, lo = 128 - m * 128 / 255;
            out[3 * p] = (byte) (s > 0 ? hi : lo);
            out[3 * p + 1] = (byte) lo;
            out[3 * p + 2] = (byte) (s < 0 ? hi : lo);
        }
        return new RawImage(width, height, 3, out);
    }

    public void writeAbsolutePng(Path file) { ImageFiles.writePng(absolute(), file); }

    public void writeSignedPng(Path file) { ImageFiles.writePng(signed(), file); }

    @Override
    public boolean equals(Object o) {
        return o instanceof DiffImage d && d.width == width && d.height == height && d.channels == channels && Arrays.equals(d.values, values);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(values) * 31 + width; }

    @Override
    public String toString() {
        return "DiffImage(" + width + "x" + height + "x" + channels + ", " + changedPixels() + " changed pixels)";
    }
}
