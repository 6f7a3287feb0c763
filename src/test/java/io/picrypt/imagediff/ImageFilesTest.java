package io.picrypt.imagediff;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ImageFilesTest {
    static final Random rnd = new Random(7);

    @TempDir
    Path dir;

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
            RawImage back = PngFiles.read(f);
            assertEquals(c, back.channels());
            assertArrayEquals(s, back.samples());
        }
    }

    @Test
    void alphaIsDroppedAnd16BitGreyScaled() throws IOException {
        BufferedImage argb = new BufferedImage(3, 2, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(1, 1, 0x80112233);
        RawImage a = PngFiles.read(png(argb));
        assertEquals(3, a.channels());
        assertEquals(0x11, a.sample(1, 1, 0));
        assertEquals(0x22, a.sample(1, 1, 1));
        assertEquals(0x33, a.sample(1, 1, 2));
        BufferedImage grey16 = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setSample(0, 0, 0, 0xABCD);
        grey16.getRaster().setSample(1, 0, 0, 0x0100);
        RawImage g = PngFiles.read(png(grey16));
        assertEquals(1, g.channels());
        assertEquals(0xAB, g.sample(0));
        assertEquals(0x01, g.sample(1));
    }

    @Test
    void differencePngsMatchThePlaintextDifference() {
        SyntheticPair pair = SyntheticPair.generate(96, 64, 1);
        ImageDiffKeyOwner owner = ImageDiffKeyOwner.withNewKey(ImageDiffParameters.standard());
        ImageDiffEvaluator evaluator = new ImageDiffEvaluator();
        DiffImage d = owner.decrypt(evaluator.subtract(owner.encrypt(pair.before()), owner.encrypt(pair.after())));
        Path abs = dir.resolve("diff.png"), signed = dir.resolve("signed.png");
        d.writeAbsolutePng(abs);
        d.writeSignedPng(signed);
        RawImage absBack = PngFiles.read(abs);
        assertEquals(3, absBack.channels());
        RawImage b = pair.before(), a = pair.after();
        for (int i = 0; i < b.sampleCount(); i++) assertEquals(Math.abs(a.sample(i) - b.sample(i)), absBack.sample(i), "sample " + i);
        RawImage s = PngFiles.read(signed);
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
    void encryptedDifferenceWrittenAsPngIsExact() throws IOException {
        ImageDiffKeyOwner owner = ImageDiffKeyOwner.withNewKey(ImageDiffParameters.standard());
        SyntheticPair pair = SyntheticPair.generate(160, 90, 5);
        Path[] frames = pair.writeTo(dir);
        RawImage b = PngFiles.read(frames[0]), a = PngFiles.read(frames[1]);
        DiffImage d = owner.decrypt(new ImageDiffEvaluator().subtract(owner.encrypt(b), owner.encrypt(a)));
        assertEquals(DiffImage.plain(b, a), d);
        assertTrue(d.changedPixels() > 0);
        Path absPng = dir.resolve("abs.png"), signedPng = dir.resolve("signed.png");
        d.writeAbsolutePng(absPng);
        d.writeSignedPng(signedPng);
        assertTrue(Files.size(signedPng) > 0);
        RawImage abs = PngFiles.read(absPng);
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
