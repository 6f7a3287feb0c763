package io.picrypt.imagediff;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helper: reads back the PNGs this package writes (the product's decoder is io.picrypt.image.ImageLoader). */
public final class PngFiles {
    private PngFiles() {}

    public static RawImage read(Path file) {
        try {
            return read(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static RawImage read(byte[] png) {
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            if (img == null) throw new IllegalArgumentException("not a PNG ImageIO reads");
            return ImageFiles.fromBufferedImage(img);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
