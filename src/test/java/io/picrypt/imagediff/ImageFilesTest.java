package io.picrypt.imagediff;

import io.picrypt.imagediff.ImageDiffException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

class ImageFilesTest {
    static final Random rnd = new Random(7);

    @TempDir
    Path dir;

    static Reason reasonOf(Runnable r) {
        return assertThrows(ImageDiffException.class, r::run).reason();
    }

    static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "png", out));
        return out.toByteArray();
    }

    @Test
    void pngRoundTripKeepsGreyAndRgbSamplesExactly() {
        for (int c : new int[]{1, 3}) {
            byte[] s = new byte[37 * 23 * c];
            rnd.nextBytes(s);
            RawImage img = new RawImage(37, 23, c, s);
            Path f = dir.resolve("img" + c + ".png");
            ImageFiles.writePng(img, f);
            RawImage back = ImageFiles.read(f, 10_000);
            assertEquals(c, back.channels());
            assertArrayEquals(s, back.samples());
        }
    }

    @Test
    void alphaIsDroppedAnd16BitGreyScaled() throws IOException {
        BufferedImage argb = new BufferedImage(3, 2, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(1, 1, 0x80112233);
        RawImage a = ImageFiles.read(png(argb), "argb", 100);
        assertEquals(3, a.channels());
        assertEquals(0x11, a.sample(1, 1, 0));
        assertEquals(0x22, a.sample(1, 1, 1));
        assertEquals(0x33, a.sample(1, 1, 2));
        BufferedImage grey16 = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setSample(0, 0, 0, 0xABCD);
        grey16.getRaster().setSample(1, 0, 0, 0x0100);
        RawImage g = ImageFiles.read(png(grey16), "grey16", 100);
        assertEquals(1, g.channels());
        assertEquals(0xAB, g.sample(0));
        assertEquals(0x01, g.sample(1));
    }

    @Test
    void jpegAndBmpAreRead() throws IOException {
        BufferedImage rgb = new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB);
        for (String fmt : new String[]{"jpeg", "bmp"}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertTrue(ImageIO.write(rgb, fmt, out));
            RawImage img = ImageFiles.read(out.toByteArray(), fmt, 1000);
            assertEquals(16, img.width());
            assertEquals(8, img.height());
        }
    }

    @Test
    void nonImagesAreRefused() throws IOException {
        assertEquals(Reason.NOT_AN_IMAGE, reasonOf(() -> ImageFiles.read("hello, not an image".getBytes(), "text", 1000)));
        assertEquals(Reason.NOT_AN_IMAGE, reasonOf(() -> ImageFiles.read(new byte[0], "empty", 1000)));
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "just text");
        ImageDiffException e = assertThrows(ImageDiffException.class, () -> ImageFiles.read(text, 1000));
        assertEquals(Reason.NOT_AN_IMAGE, e.reason());
        assertTrue(e.getMessage().contains("notes.png"), e.getMessage());
        assertEquals(Reason.IO, reasonOf(() -> ImageFiles.read(dir.resolve("missing.png"), 1000)));
        byte[] good = png(new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB));
        assertEquals(Reason.CORRUPT_IMAGE, reasonOf(() -> ImageFiles.read(Arrays.copyOf(good, good.length / 2), "half", 10_000)));
    }

    @Test
    void pixelLimitIsCheckedBeforeDecoding() throws IOException {
        byte[] ok = png(new BufferedImage(100, 100, BufferedImage.TYPE_BYTE_GRAY));
        assertEquals(Reason.TOO_LARGE, reasonOf(() -> ImageFiles.read(ok, "big", 9_999)));
        assertEquals(10_000, ImageFiles.read(ok, "ok", 10_000).pixels());
        // a PNG whose header claims 100000 x 100000 pixels (no such data follows): refused, not decoded
        byte[] bomb = ok.clone();
        ByteBuffer.wrap(bomb, 16, 8).putInt(100_000).putInt(100_000);
        CRC32 crc = new CRC32();
        crc.update(bomb, 12, 17);
        ByteBuffer.wrap(bomb, 29, 4).putInt((int) crc.getValue());
        ImageDiffException e = assertThrows(ImageDiffException.class, () -> ImageFiles.read(bomb, "bomb", ImageFiles.DEFAULT_MAX_PIXELS));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("100000x100000"), e.getMessage());
    }

    @Test
    void differencePngsMatchThePlaintextDifference() {
        SyntheticPair pair = SyntheticPair.generate(96, 64, 1);
        ImageDiffClient client = ImageDiffClient.withNewKey(ImageDiffParameters.standard());
        ImageDiffServer server = new ImageDiffServer();
        DiffImage d = client.decrypt(server.subtract(client.encrypt(pair.before()), client.encrypt(pair.after())));
        Path abs = dir.resolve("diff.png"), signed = dir.resolve("signed.png");
        d.writeAbsolutePng(abs);
        d.writeSignedPng(signed);
        RawImage absBack = ImageFiles.read(abs, 10_000);
        assertEquals(3, absBack.channels());
        RawImage b = pair.before(), a = pair.after();
        for (int i = 0; i < b.sampleCount(); i++) assertEquals(Math.abs(a.sample(i) - b.sample(i)), absBack.sample(i), "sample " + i);
        RawImage s = ImageFiles.read(signed, 10_000);
        assertEquals(3, s.channels());
        // unchanged background is mid grey; the object's old place went darker or brighter: red or blue dominates
        assertArrayEquals(new int[]{128, 128, 128}, new int[]{s.sample(0, 0, 0), s.sample(0, 0, 1), s.sample(0, 0, 2)});
        int x = pair.centreX1(), y = pair.centreY1();
        assertNotEquals(s.sample(x, y, 0), s.sample(x, y, 2));
        int strongest = 0;
        for (int c = 0; c < 3; c++) if (Math.abs(d.value(x, y, c)) > Math.abs(strongest)) strongest = d.value(x, y, c);
        assertEquals(strongest > 0, s.sample(x, y, 0) > s.sample(x, y, 2));
    }

    @Test
    void pairsMustHaveTheSameShape() {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png"), c = dir.resolve("c.png");
        ImageFiles.writePng(new RawImage(4, 3, 3, new byte[36]), a);
        ImageFiles.writePng(new RawImage(3, 4, 3, new byte[36]), b);
        ImageFiles.writePng(new RawImage(4, 3, 1, new byte[12]), c);
        assertEquals(2, ImageFiles.readPair(a, a, 100).length);
        ImageDiffException e = assertThrows(ImageDiffException.class, () -> ImageFiles.readPair(a, b, 100));
        assertEquals(Reason.SIZE_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("4x3") && e.getMessage().contains("3x4"), e.getMessage());
        assertEquals(Reason.SIZE_MISMATCH, reasonOf(() -> ImageFiles.readPair(a, c, 100)));
    }

    @Test
    void encryptedDifferenceWrittenAsPngIsExact() throws IOException {
        ImageDiffClient client = ImageDiffClient.withNewKey(ImageDiffParameters.standard());
        SyntheticPair pair = SyntheticPair.generate(160, 90, 5);
        Path[] frames = pair.writeTo(dir);
        RawImage b = ImageFiles.read(frames[0], ImageFiles.DEFAULT_MAX_PIXELS), a = ImageFiles.read(frames[1], ImageFiles.DEFAULT_MAX_PIXELS);
        DiffImage d = client.decrypt(new ImageDiffServer().subtract(client.encrypt(b), client.encrypt(a)));
        assertEquals(DiffImage.plain(b, a), d);
        assertTrue(d.changedPixels() > 0);
        Path absPng = dir.resolve("abs.png"), signedPng = dir.resolve("signed.png");
        d.writeAbsolutePng(absPng);
        d.writeSignedPng(signedPng);
        assertTrue(Files.size(signedPng) > 0);
        RawImage abs = ImageFiles.read(absPng, ImageFiles.DEFAULT_MAX_PIXELS);
        for (int i = 0; i < abs.sampleCount(); i++) assertEquals(Math.abs(a.sample(i) - b.sample(i)), abs.sample(i));
    }

    @Test
    void greyDifferenceStaysGrey() {
        byte[] b = new byte[6], a = {10, 0, (byte) 200, 5, 5, 5};
        DiffImage d = DiffImage.plain(new RawImage(3, 2, 1, b), new RawImage(3, 2, 1, a));
        RawImage abs = d.absolute();
        assertEquals(1, abs.channels());
        assertArrayEquals(new byte[]{10, 0, (byte) 200, 5, 5, 5}, abs.samples());
        assertEquals(5, d.changedPixels());
    }
}
