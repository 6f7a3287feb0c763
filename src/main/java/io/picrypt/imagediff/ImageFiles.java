package io.picrypt.imagediff;

import io.picrypt.imagediff.ImageDiffException.Reason;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;

/**
 * Image input and PNG output with ImageIO (PNG, JPEG, BMP, GIF, ... whatever ImageIO's readers decode).
 * Grey images (any bit depth) stay 1 channel, everything else becomes 8-bit RGB; alpha is dropped.
 * The pixel limit is checked from the header, before the pixels are decoded.
 */
public final class ImageFiles {
    /** Default pixel limit: 40 MP. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    private ImageFiles() {}

    public static RawImage read(Path file, long maxPixels) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), maxPixels);
        } catch (NoSuchFileException e) {
            throw new ImageDiffException(Reason.IO, "no such file: " + file, e);
        } catch (IOException e) {
            throw new ImageDiffException(Reason.IO, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Both frames of a difference; refused with SIZE_MISMATCH unless width, height and channels agree. */
    public static RawImage[] readPair(Path before, Path after, long maxPixels) {
        RawImage b = read(before, maxPixels), a = read(after, maxPixels);
        if (!b.sameShape(a)) {
            throw new ImageDiffException(Reason.SIZE_MISMATCH, String.format("%s is %dx%d %s but %s is %dx%d %s: the two photos must have the same size",
                    before, b.width(), b.height(), b.channels() == 1 ? "grey" : "RGB", after, a.width(), a.height(), a.channels() == 1 ? "grey" : "RGB"));
        }
        return new RawImage[]{b, a};
    }

    public static RawImage read(byte[] bytes, String name, long maxPixels) {
        try {
            return read(new ByteArrayInputStream(bytes), name, maxPixels);
        } catch (IOException e) {
            throw new ImageDiffException(Reason.IO, "cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    private static RawImage read(InputStream in, String name, long maxPixels) throws IOException {
        try (ImageInputStream iis = ImageIO.createImageInputStream(in)) {
            if (iis == null) throw new ImageDiffException(Reason.IO, "cannot open " + name);
            Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
            if (!readers.hasNext()) {
                throw new ImageDiffException(Reason.NOT_AN_IMAGE, name + " is not an image ImageIO can read (PNG, JPEG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(iis, true, true);
                long w, h;
                try {
                    w = reader.getWidth(0);
                    h = reader.getHeight(0);
                } catch (IIOException | IndexOutOfBoundsException e) {
                    throw new ImageDiffException(Reason.CORRUPT_IMAGE, name + " is a damaged " + format(reader) + " image: " + e.getMessage(), e);
                }
                if (w < 1 || h < 1) throw new ImageDiffException(Reason.CORRUPT_IMAGE, name + " has no pixels");
                if (w * h > maxPixels) {
                    throw new ImageDiffException(Reason.TOO_LARGE, String.format("%s is %dx%d = %d pixels, over the limit of %d", name, w, h, w * h, maxPixels));
                }
                BufferedImage img;
                try {
                    img = reader.read(0);
                } catch (IIOException | RuntimeException e) {
                    throw new ImageDiffException(Reason.CORRUPT_IMAGE, name + " is a damaged " + format(reader) + " image: " + e.getMessage(), e);
                }
                return fromBufferedImage(img);
            } finally {
                reader.dispose();
            }
        }
    }

    private static String format(ImageReader r) {
        try {
            return r.getFormatName().toUpperCase(Locale.ROOT);
        } catch (IOException e) {
            return "?";
        }
    }

    /** Grey (1 channel, samples scaled to 8 bits) or RGB (3 channels, sRGB); alpha dropped. */
    public static RawImage fromBufferedImage(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel)) {
            // raw samples: getRGB would push grey through a linear-to-sRGB conversion and change them
            int bits = cm.getComponentSize(0);
            byte[] out = new byte[w * h];
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) out[y * w + x] = (byte) (bits > 8 ? row[x] >>> (bits - 8) : bits < 8 ? row[x] * 255 / ((1 << bits) - 1) : row[x]);
            }
            return new RawImage(w, h, 1, out);
        }
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3, argb = row[x];
                out[i] = (byte) (argb >>> 16);
                out[i + 1] = (byte) (argb >>> 8);
                out[i + 2] = (byte) argb;
            }
        }
        return new RawImage(w, h, 3, out);
    }

    /** TYPE_BYTE_GRAY for 1 channel, TYPE_3BYTE_BGR for 3; samples copied unchanged. */
    public static BufferedImage toBufferedImage(RawImage image) {
        int w = image.width(), h = image.height(), c = image.channels();
        BufferedImage img = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster r = img.getRaster();
        byte[] s = image.samplesShared();
        int[] row = new int[w * c];
        for (int y = 0; y < h; y++) {
            for (int i = 0; i < w * c; i++) row[i] = s[y * w * c + i] & 0xff;
            r.setPixels(0, y, w, 1, row); // raster bands are R, G, B regardless of the byte layout
        }
        return img;
    }

    public static void writePng(RawImage image, Path file) {
        writePng(toBufferedImage(image), file);
    }

    public static void writePng(BufferedImage image, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            if (!ImageIO.write(image, "png", file.toFile())) throw new ImageDiffException(Reason.IO, "no PNG writer for this image type");
        } catch (IOException e) {
            throw new ImageDiffException(Reason.IO, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
