package io.picrypt.client.ui;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test double of the encrypted image difference: the same contract, computed in plaintext (grey |after - before|,
 * same sizes only, like the real one). It exercises the UI's diff panel until the real one (branch imagediff) is wired.
 */
final class PlainDiffer implements ImageDiffer {
    @Override
    public DiffResult diff(byte[] before, byte[] after, Progress progress) {
        long t0 = System.nanoTime();
        BufferedImage ra = read(before, "before"), rb = read(after, "after");
        if (ra.getWidth() != rb.getWidth() || ra.getHeight() != rb.getHeight()) {
            throw new IllegalArgumentException("the images differ in size: " + ra.getWidth() + "x" + ra.getHeight() + " and " + rb.getWidth() + "x" + rb.getHeight());
        }
        BufferedImage a = grey(ra, -1, -1);
        BufferedImage b = grey(rb, a.getWidth(), a.getHeight());
        for (int i = 1; i <= 4; i++) progress.update("plaintext difference (test double)", i, 4);
        BufferedImage d = new BufferedImage(a.getWidth(), a.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int v = Math.abs((b.getRaster().getSample(x, y, 0)) - a.getRaster().getSample(x, y, 0));
                d.getRaster().setSample(x, y, 0, v);
            }
        }
        Map<String, Double> t = new LinkedHashMap<>();
        t.put("plaintext difference (test double)", (System.nanoTime() - t0) / 1e6);
        return new DiffResult(png(d), a.getWidth(), a.getHeight(), t, List.of("computed in plaintext by a test double"));
    }

    private static BufferedImage read(byte[] b, String what) {
        try {
            BufferedImage i = ImageIO.read(new ByteArrayInputStream(b));
            if (i == null) throw new IllegalArgumentException("the '" + what + "' image cannot be decoded");
            return i;
        } catch (IOException e) {
            throw new IllegalArgumentException("the '" + what + "' image cannot be decoded", e);
        }
    }

    private static BufferedImage grey(BufferedImage src, int w, int h) {
        if (w < 0) {
            w = src.getWidth();
            h = src.getHeight();
        }
        BufferedImage g = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        g.getGraphics().drawImage(src, 0, 0, w, h, null);
        return g;
    }

    private static byte[] png(BufferedImage i) {
        try {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            ImageIO.write(i, "png", o);
            return o.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
