package io.picrypt.imagediff;

import io.picrypt.imagediff.ImageDiffException.Reason;

import javax.imageio.ImageIO;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * PNG output and {@link BufferedImage} conversion. Decoding image files is not done here: the product has one
 * decoder, {@code io.picrypt.image.ImageLoader} (used by the client, which hands this package {@link RawImage}s).
 */
public final class ImageFiles {
    /** Default pixel limit: 40 MP. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    private ImageFiles() {}

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
