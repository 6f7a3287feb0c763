package io.picrypt.imagediff;

import java.util.Objects;

/**
 * An 8-bit image as plain samples: row-major, channels interleaved (grey: 1 channel; RGB: 3, in R, G, B
 * order). Immutable: the sample array is copied in and out.
 */
public final class RawImage {
    private final int width;
    private final int height;
    private final int channels;
    private final byte[] samples;

    public RawImage(int width, int height, int channels, byte[] samples) {
        if (width < 1 || height < 1) throw new IllegalArgumentException("image dimensions must be positive: " + width + "x" + height);
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB): " + channels);
        Objects.requireNonNull(samples, "samples");
        long expected = (long) width * height * channels;
        if (samples.length != expected) {
            throw new IllegalArgumentException("expected " + expected + " samples for " + width + "x" + height + "x" + channels + ", got " + samples.length);
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.samples = samples.clone();
    }

    public int width() { return width; }

    public int height() { return height; }

    public int channels() { return channels; }

    public long pixels() { return (long) width * height; }

    /** Number of samples: width x height x channels. */
    public int sampleCount() { return samples.length; }

    /** Sample i (0..255) in row-major, channel-interleaved order. */
    public int sample(int i) { return samples[i] & 0xff; }

    public int sample(int x, int y, int c) { return samples[(y * width + x) * channels + c] & 0xff; }

    public byte[] samples() { return samples.clone(); }

    /** No copy, for this package's hot loops only. */
    byte[] samplesShared() { return samples; }

    public boolean sameShape(RawImage o) {
        return width == o.width && height == o.height && channels == o.channels;
    }

    @Override
    public String toString() {
        return "RawImage(" + width + "x" + height + (channels == 1 ? ", grey)" : ", RGB)");
    }
}
