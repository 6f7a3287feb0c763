package io.picrypt.image;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.junit.jupiter.api.Assertions.*;

/** Decoding, format sniffing and the error paths, on generated images only. */
public class ImageLoaderTest {
    final ImageLoader loader = new ImageLoader();

    static byte[] encode(Mat img, String ext) {
        BytePointer buf = new BytePointer();
        assertTrue(imencode(ext, img, buf), "OpenCV can write " + ext);
        byte[] b = new byte[(int) buf.limit()];
        buf.get(b);
        return b;
    }

    /** 40x30 colour image, left half blue, right half red (BGR). */
    static Mat twoColour() {
        Mat m = new Mat(30, 40, CV_8UC3, new Scalar(255, 0, 0, 0));
        m.apply(new org.bytedeco.opencv.opencv_core.Rect(20, 0, 20, 30)).put(new Scalar(0, 0, 255, 0));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {".png", ".jpg", ".bmp", ".webp", ".gif", ".ppm", ".tif"})
    void decodesEveryAcceptedFormatToBgrWithTheRightSize(String ext) {
        try (PointerScope s = new PointerScope()) {
            byte[] bytes = encode(twoColour(), ext);
            ImageLoader.ImageInfo info = loader.inspect(bytes, "x" + ext);
            assertEquals(40, info.width(), ext);
            assertEquals(30, info.height(), ext);
            Mat m = loader.decode(bytes, "x" + ext);
            assertEquals(CV_8UC3, m.type());
            assertEquals(40, m.cols());
            assertEquals(30, m.rows());
            java.nio.ByteBuffer px = m.createBuffer();
            int left = px.get(5 * 40 * 3 + 5 * 3) & 0xFF, right = px.get(5 * 40 * 3 + 35 * 3 + 2) & 0xFF;
            assertTrue(left > 200 && right > 200, "blue stays blue, red stays red (channel order): " + left + " " + right);
        }
    }

    @Test
    void greyImagesBecomeThreeChannels() {
        try (PointerScope s = new PointerScope()) {
            Mat grey = new Mat(20, 10, CV_8UC1, new Scalar(77));
            Mat m = loader.decode(encode(grey, ".png"), "grey");
            assertEquals(CV_8UC3, m.type());
            assertEquals(77, m.createBuffer() instanceof java.nio.ByteBuffer b ? b.get(0) & 0xFF : -1);
        }
    }

    @Test
    void exifOrientationIsApplied() {
        try (PointerScope s = new PointerScope()) {
            byte[] jpg = encode(twoColour(), ".jpg");
            byte[] rotated = withExifOrientation(jpg, 6); // 6 = rotate 90 degrees clockwise to display
            Mat m = loader.decode(rotated, "exif");
            assertEquals(30, m.cols(), "width and height swap");
            assertEquals(40, m.rows());
            java.nio.ByteBuffer px = m.createBuffer();
            // after a clockwise turn the left (blue) half is on top
            int topBlue = px.get((5 * 30 + 15) * 3) & 0xFF, bottomRed = px.get((35 * 30 + 15) * 3 + 2) & 0xFF;
            assertTrue(topBlue > 200 && bottomRed > 200, "blue on top, red below: " + topBlue + " " + bottomRed);
        }
    }

    /** Inserts an APP1 Exif segment with one Orientation tag right after the JPEG SOI marker. */
    public static byte[] withExifOrientation(byte[] jpg, int orientation) {
        ByteArrayOutputStream tiff = new ByteArrayOutputStream();
        int[] t = {'M', 'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD at 8
                0, 1, // one entry
                0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, // Orientation, SHORT, count 1, value
                0, 0, 0, 0}; // no next IFD
        for (int x : t) tiff.write(x);
        byte[] exif = tiff.toByteArray();
        int len = 2 + 6 + exif.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xFF); out.write(0xD8);
        out.write(0xFF); out.write(0xE1); out.write(len >> 8); out.write(len & 0xFF);
        out.writeBytes("Exif".getBytes()); out.write(0); out.write(0);
        out.writeBytes(exif);
        out.write(jpg, 2, jpg.length - 2);
        return out.toByteArray();
    }

    @Test
    void emptyInputIsRefused() {
        ImageException e = assertThrows(ImageException.class, () -> loader.decode(new byte[0], "upload"));
        assertEquals(ImageException.Reason.EMPTY, e.reason());
        assertEquals("upload is empty (0 bytes)", e.getMessage());
    }

    @Test
    void emptyFileIsRefused(@TempDir Path dir) throws Exception {
        Path f = Files.createFile(dir.resolve("empty.jpg"));
        assertEquals(ImageException.Reason.EMPTY, assertThrows(ImageException.class, () -> loader.read(f)).reason());
    }

    @Test
    void nonImagesAreRefusedBeforeOpenCvSeesThem() {
        for (byte[] b : new byte[][]{"just some text".getBytes(), "%PDF-1.7\n...".getBytes(), "P7\nWIDTH 2".getBytes(), {0x42}}) {
            ImageException e = assertThrows(ImageException.class, () -> loader.decode(b, "file"));
            assertEquals(ImageException.Reason.NOT_AN_IMAGE, e.reason());
            assertTrue(e.getMessage().contains(ImageLoader.FORMATS), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {".png", ".jpg", ".bmp", ".webp", ".gif", ".ppm", ".pgm", ".tif"})
    void truncatedOrDamagedImagesAreCorrupt(String ext) {
        try (PointerScope s = new PointerScope()) {
            Mat src = ext.equals(".pgm") ? new Mat(64, 64, CV_8UC1, new Scalar(9)) : new Mat(64, 64, CV_8UC3, new Scalar(1, 2, 3, 0));
            byte[] good = encode(src, ext);
            byte[] cut = Arrays.copyOf(good, Math.max(30, good.length / 4));
            ImageException e = assertThrows(ImageException.class, () -> loader.decode(cut, "cut" + ext));
            assertEquals(ImageException.Reason.CORRUPT, e.reason(), e.getMessage());
            byte[] headerOnly = Arrays.copyOf(good, 12);
            assertEquals(ImageException.Reason.CORRUPT, assertThrows(ImageException.class, () -> loader.decode(headerOnly, "h")).reason());
        }
    }

    @Test
    void hugeImagesAreRefusedFromTheHeaderWithoutDecoding() {
        // a valid-looking PNG header declaring 100000 x 100000 pixels (30 GB decoded), 33 bytes long
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                0, 1, (byte) 0x86, (byte) 0xA0, 0, 1, (byte) 0x86, (byte) 0xA0, 8, 2, 0, 0, 0, 0, 0, 0, 0};
        ImageException e = assertThrows(ImageException.class, () -> loader.decode(png, "bomb.png"));
        assertEquals(ImageException.Reason.TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("100000x100000"), e.getMessage());
    }

    @Test
    void limitsAreConfigurable() {
        try (PointerScope s = new PointerScope()) {
            byte[] png = encode(twoColour(), ".png");
            assertEquals(ImageException.Reason.TOO_LARGE, assertThrows(ImageException.class,
                    () -> new ImageLoader(1000, 1 << 20).decode(png, "x")).reason(), "40x30 > 1000 pixels");
            assertEquals(ImageException.Reason.TOO_LARGE, assertThrows(ImageException.class,
                    () -> new ImageLoader(1 << 20, 10).decode(png, "x")).reason(), "more than 10 bytes");
        }
    }

    @Test
    void missingFileIsAnIoError(@TempDir Path dir) {
        ImageException e = assertThrows(ImageException.class, () -> loader.read(dir.resolve("nope.jpg")));
        assertEquals(ImageException.Reason.IO, e.reason());
        assertTrue(e.getMessage().startsWith("no such file"), e.getMessage());
    }

    // ---------------------------------------------------------------- issue 12: real photos, every format, one decoder

    static Path sample(String name) { return Path.of(System.getProperty("picrypt.models", "models"), "samples", name); }

    /** The sample photo cut to 60% and to its first 600 bytes (header only): refused, never filled with grey. */
    @Test
    void truncatedRealPhotoIsRefusedInBothOutputs() throws Exception {
        byte[] jpg = Files.readAllBytes(sample("portrait-facedetection.jpg"));
        for (byte[] cut : new byte[][]{Arrays.copyOf(jpg, jpg.length * 6 / 10), Arrays.copyOf(jpg, 600)}) {
            try (PointerScope s = new PointerScope()) {
                assertEquals(ImageException.Reason.CORRUPT, assertThrows(ImageException.class, () -> loader.decode(cut, "cut.jpg")).reason());
                ImageException e = assertThrows(ImageException.class, () -> loader.decodePixels(cut, "cut.jpg"));
                assertEquals(ImageException.Reason.CORRUPT, e.reason());
                assertTrue(e.getMessage().contains("truncated or damaged"), e.getMessage());
            }
        }
    }

    /** Re-encoded copies of the sample photo in every accepted format decode to the same size, grey ones to 1 channel. */
    @ParameterizedTest
    @ValueSource(strings = {".gif", ".pgm", ".ppm", ".pbm", ".tif", ".png", ".bmp", ".webp", ".jpg"})
    void sampleReencodedInEveryFormat(String ext) throws Exception {
        try (PointerScope s = new PointerScope()) {
            byte[] jpg = Files.readAllBytes(sample("portrait-facedetection.jpg"));
            Mat colour = loader.decode(jpg, "sample");
            boolean grey = ext.equals(".pgm") || ext.equals(".pbm");
            Mat src = colour;
            if (grey) {
                src = new Mat();
                org.bytedeco.opencv.global.opencv_imgproc.cvtColor(colour, src, org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY);
            }
            byte[] bytes = encode(src, ext);
            Pixels p = loader.decodePixels(bytes, "sample" + ext);
            assertEquals(colour.cols(), p.width(), ext);
            assertEquals(colour.rows(), p.height(), ext);
            assertEquals(grey ? 1 : 3, p.channels(), ext);
            Mat bgr = loader.decode(bytes, "sample" + ext);
            assertEquals(CV_8UC3, bgr.type(), ext);
        }
    }

    @Test
    void greyStaysGreyAndColourIsRgbInPixels() {
        try (PointerScope s = new PointerScope()) {
            Pixels g = loader.decodePixels(encode(new Mat(20, 10, CV_8UC1, new Scalar(77)), ".png"), "grey");
            assertEquals(1, g.channels());
            assertEquals(77, g.samples()[0] & 0xFF);
            Pixels c = loader.decodePixels(encode(twoColour(), ".png"), "colour");
            assertEquals(3, c.channels());
            byte[] px = c.samples();
            assertEquals(255, px[5 * 40 * 3 + 5 * 3 + 2] & 0xFF, "left half blue: B is the third of R, G, B");
            assertEquals(255, px[5 * 40 * 3 + 35 * 3] & 0xFF, "right half red: R first");
            assertEquals(3, g.toRgb().channels());
            assertEquals(77, g.toRgb().samples()[2] & 0xFF);
        }
    }

    @Test
    void exifOrientationIsAppliedToPixelsToo() {
        try (PointerScope s = new PointerScope()) {
            byte[] rotated = withExifOrientation(encode(twoColour(), ".jpg"), 6);
            Pixels p = loader.decodePixels(rotated, "exif");
            assertEquals(30, p.width());
            assertEquals(40, p.height());
            byte[] px = p.samples();
            assertTrue((px[(5 * 30 + 15) * 3 + 2] & 0xFF) > 200, "blue on top");
            // a grey JPEG with the tag is turned too
            Mat grey = new Mat(30, 40, CV_8UC1, new Scalar(0));
            grey.apply(new org.bytedeco.opencv.opencv_core.Rect(20, 0, 20, 30)).put(new Scalar(255));
            Pixels g = loader.decodePixels(withExifOrientation(encode(grey, ".jpg"), 6), "grey exif");
            assertEquals(1, g.channels());
            assertEquals(30, g.width());
            assertTrue((g.samples()[35 * 30 + 15] & 0xFF) > 200, "the white right half is below after the turn");
        }
    }

    @Test
    void headersOfTheNewFormatsAreCheckedBeforeDecoding() {
        // GIF (60000 x 60000, its 16-bit maximum), PGM and TIFF (100000 x 100000) headers with no pixel data: TOO_LARGE, named size
        byte[] gif = {'G', 'I', 'F', '8', '9', 'a', 0x60, (byte) 0xEA, 0x60, (byte) 0xEA, 0, 0, 0};
        byte[] pgm = "P5\n# a comment\n100000 100000\n255\n".getBytes();
        byte[] tif = {'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0,
                0, 1, 4, 0, 1, 0, 0, 0, (byte) 0xA0, (byte) 0x86, 1, 0,
                1, 1, 4, 0, 1, 0, 0, 0, (byte) 0xA0, (byte) 0x86, 1, 0, 0, 0, 0, 0};
        for (byte[] b : new byte[][]{gif, pgm, tif}) {
            ImageException e = assertThrows(ImageException.class, () -> loader.inspect(b, "bomb"));
            assertEquals(ImageException.Reason.TOO_LARGE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains(b == gif ? "60000x60000" : "100000x100000"), e.getMessage());
        }
    }

    @Test
    void heicAndAvifAreNamedInTheRefusal() {
        byte[] heic = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0};
        byte[] avif = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f', 0, 0, 0, 0};
        ImageException e = assertThrows(ImageException.class, () -> loader.decode(heic, "IMG_0001.HEIC"));
        assertEquals(ImageException.Reason.NOT_AN_IMAGE, e.reason());
        assertTrue(e.getMessage().contains("HEIC") && e.getMessage().contains("convert"), e.getMessage());
        assertTrue(assertThrows(ImageException.class, () -> loader.decodePixels(avif, "a.avif")).getMessage().contains("AVIF"));
    }
}
