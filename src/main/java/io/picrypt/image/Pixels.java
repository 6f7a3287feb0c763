package io.picrypt.image;

import java.util.Objects;

/**
 * Decoded 8-bit pixels, display-oriented (EXIF applied): row-major, channels interleaved; 1 channel for
 * greyscale sources, 3 (R, G, B order) for everything else; alpha dropped. Immutable: the sample array
 * is copied in and out.
 *
 * @param format the container format found in the header ("JPEG", "PNG", "GIF", "PGM", "TIFF", ...)
 */
public record Pixels(String format, int width, int height, int channels, byte[] samples) {
    public Pixels {
        Objects.requireNonNull(format, "format");
        if (width < 1 || height < 1) throw new IllegalArgumentException("dimensions must be positive: " + width + "x" + height);
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3: " + channels);
        if (samples.length != (long) width * height * channels) {
            throw new IllegalArgumentException("expected " + (long) width * height * channels + " samples, got " + samples.length);
        }
        samples = samples.clone();
    }

    @Override
    public byte[] samples() { return samples.clone(); }

    /** "grey" or "colour", for messages. */
    public String colourName() { return channels == 1 ? "greyscale" : "colour"; }

    /** The same pixels with 3 channels: a grey sample g becomes (g, g, g); colour images are returned as they are. */
    public Pixels toRgb() {
        if (channels == 3) return this;
        byte[] rgb = new byte[samples.length * 3];
        for (int i = 0, j = 0; i < samples.length; i++, j += 3) rgb[j] = rgb[j + 1] = rgb[j + 2] = samples[i];
        return new Pixels(format, width, height, 3, rgb);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Pixels p && p.width == width && p.height == height && p.channels == channels
                && p.format.equals(format) && java.util.Arrays.equals(p.samples, samples);
    }

    @Override
    public int hashCode() { return Objects.hash(format, width, height, channels, java.util.Arrays.hashCode(samples)); }

    @Override
    public String toString() { return "Pixels(" + format + " " + width + "x" + height + ", " + colourName() + ")"; }
}
