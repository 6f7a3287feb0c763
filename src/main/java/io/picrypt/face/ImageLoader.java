package io.picrypt.face;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

/**
 * Decodes image bytes into an 8-bit BGR {@link Mat} with OpenCV, applying the EXIF orientation
 * (IMREAD_COLOR does; grey, 16-bit and alpha images become 8-bit BGR).
 * <p>
 * Before OpenCV sees the bytes, the header is sniffed: only JPEG, PNG, BMP and WebP are accepted, and the
 * declared width x height is checked against {@link #maxPixels} so that a 40-byte "100000 x 100000" PNG
 * is refused instead of allocating 30 GB. The returned Mat lives in the caller's {@code PointerScope}.
 */
public final class ImageLoader {
    /** Default cap on decoded pixels: 64 MP (a 48 MP phone photo passes, a decompression bomb does not). */
    public static final long DEFAULT_MAX_PIXELS = 64L << 20;
    /** Default cap on encoded size. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    /** What the header says. */
    public record ImageInfo(String format, int width, int height) {}

    private final long maxPixels;
    private final long maxBytes;

    public ImageLoader() { this(DEFAULT_MAX_PIXELS, DEFAULT_MAX_BYTES); }

    public ImageLoader(long maxPixels, long maxBytes) {
        this.maxPixels = maxPixels;
        this.maxBytes = maxBytes;
    }

    /** Reads a file with the size limit applied before reading it into memory. */
    public byte[] read(Path file) {
        try {
            long size = Files.size(file);
            if (size == 0) throw new FaceException(FaceException.Reason.EMPTY, file + " is empty (0 bytes)");
            if (size > maxBytes) {
                throw new FaceException(FaceException.Reason.TOO_LARGE, file + " is " + size + " bytes; the limit is " + maxBytes);
            }
            try (InputStream in = Files.newInputStream(file)) {
                return in.readNBytes((int) size);
            }
        } catch (NoSuchFileException e) {
            throw new FaceException(FaceException.Reason.IO, "no such file: " + file, e);
        } catch (IOException e) {
            throw new FaceException(FaceException.Reason.IO, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Decodes to 8-bit 3-channel BGR, EXIF-oriented. {@code what} names the input in error messages. */
    public Mat decode(byte[] bytes, String what) {
        ImageInfo info = inspect(bytes, what);
        Mat raw = new Mat(1, bytes.length, CV_8UC1, new BytePointer(bytes));
        Mat img;
        try {
            img = imdecode(raw, IMREAD_COLOR);
        } catch (RuntimeException e) { // JavaCPP maps cv::Exception to RuntimeException
            throw new FaceException(FaceException.Reason.CORRUPT, what + ": the " + info.format() + " data cannot be decoded ("
                    + firstLine(e.getMessage()) + ")", e);
        }
        if (img == null || img.empty() || img.cols() <= 0 || img.rows() <= 0) {
            throw new FaceException(FaceException.Reason.CORRUPT, what + ": the " + info.format()
                    + " data is corrupt or truncated and cannot be decoded");
        }
        return img;
    }

    /** Checks the header only: format, declared size, limits. Never decodes pixels. */
    public ImageInfo inspect(byte[] bytes, String what) {
        if (bytes == null || bytes.length == 0) throw new FaceException(FaceException.Reason.EMPTY, what + " is empty (0 bytes)");
        if (bytes.length > maxBytes) {
            throw new FaceException(FaceException.Reason.TOO_LARGE, what + " is " + bytes.length + " bytes; the limit is " + maxBytes);
        }
        ImageInfo info = sniff(bytes);
        if (info == null) {
            throw new FaceException(FaceException.Reason.NOT_AN_IMAGE, what + " is not a supported image (expected JPEG, PNG, BMP or WebP)");
        }
        if (info.width() <= 0 || info.height() <= 0) {
            throw new FaceException(FaceException.Reason.CORRUPT, what + ": the " + info.format() + " header is damaged (size "
                    + info.width() + "x" + info.height() + ")");
        }
        if ((long) info.width() * info.height() > maxPixels) {
            throw new FaceException(FaceException.Reason.TOO_LARGE, what + " is " + info.width() + "x" + info.height()
                    + " pixels; the limit is " + maxPixels + " pixels (" + (maxPixels >> 20) + " MP)");
        }
        return info;
    }

    /** Format and declared dimensions from the header, or null when the bytes are not JPEG/PNG/BMP/WebP. */
    static ImageInfo sniff(byte[] b) {
        if (b.length >= 3 && u8(b, 0) == 0xFF && u8(b, 1) == 0xD8 && u8(b, 2) == 0xFF) return jpeg(b);
        if (b.length >= 8 && u8(b, 0) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return b.length >= 24 ? new ImageInfo("PNG", be32(b, 16), be32(b, 20)) : new ImageInfo("PNG", 0, 0);
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return b.length >= 26 ? new ImageInfo("BMP", le32(b, 18), Math.abs(le32(b, 22))) : new ImageInfo("BMP", 0, 0);
        }
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return webp(b);
        }
        return null;
    }

    private static ImageInfo jpeg(byte[] b) {
        int i = 2;
        while (i + 9 < b.length) {
            if (u8(b, i) != 0xFF) { i++; continue; } // tolerate fill bytes / garbage between segments
            int marker = u8(b, i + 1);
            if (marker == 0xFF) { i++; continue; }
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { i += 2; continue; }
            int len = be16(b, i + 2);
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) return new ImageInfo("JPEG", be16(b, i + 7), be16(b, i + 5));
            if (marker == 0xD9 || marker == 0xDA || len < 2) break; // no frame header before the scan: damaged
            i += 2 + len;
        }
        return new ImageInfo("JPEG", 0, 0);
    }

    private static ImageInfo webp(byte[] b) {
        if (b.length < 30) return new ImageInfo("WebP", 0, 0);
        String chunk = new String(b, 12, 4, java.nio.charset.StandardCharsets.US_ASCII);
        switch (chunk) {
            case "VP8 ": // lossy: frame tag (3) + start code (3) then 14-bit width/height
                return new ImageInfo("WebP", le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF);
            case "VP8L": { // lossless: signature 0x2F then 14-bit (w-1), (h-1)
                long bits = (u8(b, 21)) | (u8(b, 22) << 8) | (u8(b, 23) << 16) | ((long) u8(b, 24) << 24);
                return new ImageInfo("WebP", (int) (bits & 0x3FFF) + 1, (int) ((bits >> 14) & 0x3FFF) + 1);
            }
            case "VP8X": // extended: 24-bit (w-1), (h-1) at 24 and 27
                return new ImageInfo("WebP", (u8(b, 24) | u8(b, 25) << 8 | u8(b, 26) << 16) + 1,
                        (u8(b, 27) | u8(b, 28) << 8 | u8(b, 29) << 16) + 1);
            default:
                return new ImageInfo("WebP", 0, 0);
        }
    }

    private static int u8(byte[] b, int i) { return b[i] & 0xFF; }

    private static int be16(byte[] b, int i) { return u8(b, i) << 8 | u8(b, i + 1); }

    private static int le16(byte[] b, int i) { return u8(b, i) | u8(b, i + 1) << 8; }

    private static int be32(byte[] b, int i) { return u8(b, i) << 24 | u8(b, i + 1) << 16 | u8(b, i + 2) << 8 | u8(b, i + 3); }

    private static int le32(byte[] b, int i) { return u8(b, i) | u8(b, i + 1) << 8 | u8(b, i + 2) << 16 | u8(b, i + 3) << 24; }

    private static String firstLine(String s) {
        if (s == null) return "no detail";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
