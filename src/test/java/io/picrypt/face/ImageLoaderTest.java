package io.picrypt.face;

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
class ImageLoaderTest {
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
    @ValueSource(strings = {".png", ".jpg", ".bmp", ".webp"})
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
    static byte[] withExifOrientation(byte[] jpg, int orientation) {
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
        FaceException e = assertThrows(FaceException.class, () -> loader.decode(new byte[0], "upload"));
        assertEquals(FaceException.Reason.EMPTY, e.reason());
        assertEquals("upload is empty (0 bytes)", e.getMessage());
    }

    @Test
    void emptyFileIsRefused(@TempDir Path dir) throws Exception {
        Path f = Files.createFile(dir.resolve("empty.jpg"));
        assertEquals(FaceException.Reason.EMPTY, assertThrows(FaceException.class, () -> loader.read(f)).reason());
    }

    @Test
    void nonImagesAreRefusedBeforeOpenCvSeesThem() {
        for (byte[] b : new byte[][]{"just some text".getBytes(), "%PDF-1.7\n...".getBytes(), "GIF89a....".getBytes(), {0x42}}) {
            FaceException e = assertThrows(FaceException.class, () -> loader.decode(b, "file"));
            assertEquals(FaceException.Reason.NOT_AN_IMAGE, e.reason());
            assertTrue(e.getMessage().contains("JPEG, PNG, BMP or WebP"), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {".png", ".jpg", ".bmp", ".webp"})
    void truncatedOrDamagedImagesAreCorrupt(String ext) {
        try (PointerScope s = new PointerScope()) {
            byte[] good = encode(new Mat(64, 64, CV_8UC3, new Scalar(1, 2, 3, 0)), ext);
            byte[] cut = Arrays.copyOf(good, Math.max(30, good.length / 4));
            FaceException e = assertThrows(FaceException.class, () -> loader.decode(cut, "cut" + ext));
            assertEquals(FaceException.Reason.CORRUPT, e.reason(), e.getMessage());
            byte[] headerOnly = Arrays.copyOf(good, 12);
            assertEquals(FaceException.Reason.CORRUPT, assertThrows(FaceException.class, () -> loader.decode(headerOnly, "h")).reason());
        }
    }

    @Test
    void hugeImagesAreRefusedFromTheHeaderWithoutDecoding() {
        // a valid-looking PNG header declaring 100000 x 100000 pixels (30 GB decoded), 33 bytes long
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                0, 1, (byte) 0x86, (byte) 0xA0, 0, 1, (byte) 0x86, (byte) 0xA0, 8, 2, 0, 0, 0, 0, 0, 0, 0};
        FaceException e = assertThrows(FaceException.class, () -> loader.decode(png, "bomb.png"));
        assertEquals(FaceException.Reason.TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("100000x100000"), e.getMessage());
    }

    @Test
    void limitsAreConfigurable() {
        try (PointerScope s = new PointerScope()) {
            byte[] png = encode(twoColour(), ".png");
            assertEquals(FaceException.Reason.TOO_LARGE, assertThrows(FaceException.class,
                    () -> new ImageLoader(1000, 1 << 20).decode(png, "x")).reason(), "40x30 > 1000 pixels");
            assertEquals(FaceException.Reason.TOO_LARGE, assertThrows(FaceException.class,
                    () -> new ImageLoader(1 << 20, 10).decode(png, "x")).reason(), "more than 10 bytes");
        }
    }

    @Test
    void missingFileIsAnIoError(@TempDir Path dir) {
        FaceException e = assertThrows(FaceException.class, () -> loader.read(dir.resolve("nope.jpg")));
        assertEquals(FaceException.Reason.IO, e.reason());
        assertTrue(e.getMessage().startsWith("no such file"), e.getMessage());
    }
}
