package io.picrypt.image;

import io.picrypt.image.ImageException.Reason;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_ANYCOLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

/**
 * The one image decoder of the product (face commands, eval, image difference, the web page): OpenCV's
 * {@code imdecode}, behind a header check.
 * <p>
 * Accepted: JPEG, PNG, BMP, WebP, GIF (first frame), PBM/PGM/PPM (P1-P6) and TIFF (first page). HEIC/HEIF,
 * AVIF, JPEG 2000 and everything else are refused with a message that names the format when it is known.
 * Before OpenCV sees the bytes, the header is sniffed and the declared width x height is checked against
 * {@link #maxPixels()}, so that a 40-byte "100000 x 100000" PNG is refused instead of allocating 30 GB.
 * Truncated or damaged data is refused (OpenCV's decoders fail on a missing end of data rather than fill rows);
 * the EXIF Orientation tag is applied, so every caller sees the photo as a viewer displays it.
 * <p>
 * Two outputs: {@link #decode} an 8-bit BGR {@link Mat} for the face pipeline (grey, 16-bit and alpha images
 * become 8-bit BGR), and {@link #decodePixels} plain samples (grey stays 1 channel, colour is RGB) for the
 * image difference. Thread-safe (no state beyond the limits).
 */
public final class ImageLoader {
    /** Default cap on decoded pixels: 64 MP (a 48 MP phone photo passes, a decompression bomb does not). */
    public static final long DEFAULT_MAX_PIXELS = 64L << 20;
    /** Default cap on encoded size. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;
    /** The accepted formats, for messages and docs. */
    public static final String FORMATS = "JPEG, PNG, BMP, WebP, GIF, PBM/PGM/PPM or TIFF";

    /** What the header says: container format and declared size (0 x 0 when the header is cut short or damaged). */
    public record ImageInfo(String format, int width, int height) {}

    private final long maxPixels;
    private final long maxBytes;

    public ImageLoader() { this(DEFAULT_MAX_PIXELS, DEFAULT_MAX_BYTES); }

    /** @param maxPixels refuse images whose header declares more pixels; @param maxBytes refuse larger files / uploads */
    public ImageLoader(long maxPixels, long maxBytes) {
        if (maxPixels < 1 || maxBytes < 1) throw new IllegalArgumentException("limits must be positive");
        this.maxPixels = maxPixels;
        this.maxBytes = maxBytes;
    }

    public long maxPixels() { return maxPixels; }

    public long maxBytes() { return maxBytes; }

    /** Reads a file with the size limit applied before reading it into memory. ImageException(EMPTY, TOO_LARGE, IO). */
    public byte[] read(Path file) {
        try {
            if (Files.isDirectory(file)) throw new ImageException(Reason.IO, file + " is a directory, not an image file");
            long size = Files.size(file);
            if (size == 0) throw new ImageException(Reason.EMPTY, file + " is empty (0 bytes)");
            if (size > maxBytes) throw new ImageException(Reason.TOO_LARGE, file + " is " + size + " bytes; the limit is " + maxBytes);
            try (InputStream in = Files.newInputStream(file)) {
                return in.readNBytes((int) size);
            }
        } catch (NoSuchFileException e) {
            throw new ImageException(Reason.IO, "no such file: " + file, e);
        } catch (AccessDeniedException e) {
            throw new ImageException(Reason.IO, "permission denied: " + file, e);
        } catch (IOException e) {
            throw new ImageException(Reason.IO, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes to 8-bit 3-channel BGR, EXIF-oriented. {@code what} names the input in error messages. The Mat
     * lives in the caller's {@code PointerScope}.
     */
    public Mat decode(byte[] bytes, String what) {
        ImageInfo info = inspect(bytes, what);
        return imdecodeChecked(bytes, IMREAD_COLOR, info, what);
    }

    /** {@link #read} then {@link #decodePixels(byte[], String)}, named by the path. */
    public Pixels readPixels(Path file) { return decodePixels(read(file), file.toString()); }

    /**
     * Decodes to plain samples, EXIF-oriented: 1 channel when the source is greyscale (JPEG, PNG, PGM, TIFF grey),
     * else 3 in R, G, B order; 16-bit becomes 8-bit, alpha is dropped.
     */
    public Pixels decodePixels(byte[] bytes, String what) {
        ImageInfo info = inspect(bytes, what);
        try (PointerScope scope = new PointerScope()) {
            Mat img = imdecodeChecked(bytes, IMREAD_ANYCOLOR, info, what); // any colour: grey stays grey; not UNCHANGED: EXIF applies
            int c = img.channels();
            if (c == 3) {
                Mat rgb = new Mat();
                cvtColor(img, rgb, COLOR_BGR2RGB);
                img = rgb;
            } else if (c != 1) {
                throw new ImageException(Reason.CORRUPT, what + ": the " + info.format() + " image decoded to " + c + " channels");
            }
            if (!img.isContinuous()) img = img.clone();
            byte[] samples = new byte[img.cols() * img.rows() * c];
            img.data().get(samples);
            return new Pixels(info.format(), img.cols(), img.rows(), c, samples);
        }
    }

    private Mat imdecodeChecked(byte[] bytes, int flags, ImageInfo info, String what) {
        Mat raw = new Mat(1, bytes.length, CV_8UC1, new BytePointer(bytes));
        Mat img;
        try {
            img = imdecode(raw, flags);
        } catch (RuntimeException e) { // JavaCPP maps cv::Exception to RuntimeException
            throw new ImageException(Reason.CORRUPT, what + ": the " + info.format() + " data cannot be decoded ("
                    + firstLine(e.getMessage()) + ")", e);
        }
        if (img == null || img.empty() || img.cols() <= 0 || img.rows() <= 0) {
            throw new ImageException(Reason.CORRUPT, what + ": the " + info.format() + " data is truncated or damaged and cannot be decoded");
        }
        return img;
    }

    /** Checks the header only: format, declared size, limits. Never decodes pixels. */
    public ImageInfo inspect(byte[] bytes, String what) {
        if (bytes == null || bytes.length == 0) throw new ImageException(Reason.EMPTY, what + " is empty (0 bytes)");
        if (bytes.length > maxBytes) {
            throw new ImageException(Reason.TOO_LARGE, what + " is " + bytes.length + " bytes; the limit is " + maxBytes);
        }
        ImageInfo info = sniff(bytes);
        if (info == null) {
            String known = unsupportedFormat(bytes);
            throw new ImageException(Reason.NOT_AN_IMAGE, what + (known != null
                    ? " is a " + known + " image, which is not supported: convert it to JPEG or PNG (accepted: " + FORMATS + ")"
                    : " is not a supported image (expected " + FORMATS + ")"));
        }
        if (info.width() <= 0 || info.height() <= 0) {
            throw new ImageException(Reason.CORRUPT, what + ": the " + info.format() + " header is truncated or damaged (size "
                    + info.width() + "x" + info.height() + ")");
        }
        if ((long) info.width() * info.height() > maxPixels) {
            throw new ImageException(Reason.TOO_LARGE, what + " is " + info.width() + "x" + info.height()
                    + " pixels; the limit is " + maxPixels + " pixels (" + String.format(java.util.Locale.ROOT, "%.1f", maxPixels / 1e6) + " MP)");
        }
        return info;
    }

    /** Format and declared dimensions from the header, or null when the bytes are none of the accepted formats. */
    static ImageInfo sniff(byte[] b) {
        if (b.length >= 3 && u8(b, 0) == 0xFF && u8(b, 1) == 0xD8 && u8(b, 2) == 0xFF) return jpeg(b);
        if (b.length >= 8 && u8(b, 0) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return b.length >= 24 ? new ImageInfo("PNG", be32(b, 16), be32(b, 20)) : new ImageInfo("PNG", 0, 0);
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return b.length >= 26 ? new ImageInfo("BMP", le32(b, 18), Math.abs(le32(b, 22))) : new ImageInfo("BMP", 0, 0);
        }
        if (b.length >= 12 && ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) return webp(b);
        if (b.length >= 6 && (ascii(b, 0, "GIF87a") || ascii(b, 0, "GIF89a"))) {
            return b.length >= 10 ? new ImageInfo("GIF", le16(b, 6), le16(b, 8)) : new ImageInfo("GIF", 0, 0);
        }
        if (b.length >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') return pnm(b);
        if (b.length >= 4 && (ascii(b, 0, "II") && b[2] == 42 && b[3] == 0 || ascii(b, 0, "MM") && b[2] == 0 && b[3] == 42)) return tiff(b);
        return null;
    }

    /** A recognised format we do not decode (for a message that names it), or null. */
    static String unsupportedFormat(byte[] b) {
        if (b.length >= 12 && ascii(b, 4, "ftyp")) {
            String brand = new String(b, 8, 4, StandardCharsets.US_ASCII);
            if (brand.startsWith("avi")) return "AVIF";
            if (brand.startsWith("hei") || brand.startsWith("hev") || brand.equals("mif1") || brand.equals("msf1")) return "HEIC/HEIF";
        }
        if (b.length >= 12 && u8(b, 0) == 0 && u8(b, 1) == 0 && u8(b, 2) == 0 && u8(b, 3) == 12 && ascii(b, 4, "jP  ")) return "JPEG 2000";
        if (b.length >= 4 && u8(b, 0) == 0xFF && u8(b, 1) == 0x4F && u8(b, 2) == 0xFF && u8(b, 3) == 0x51) return "JPEG 2000";
        if (b.length >= 4 && ascii(b, 0, "II") && b[2] == 43) return "BigTIFF";
        if (b.length >= 2 && b[0] == 'P' && b[1] == '7') return "PAM";
        if (b.length >= 4 && ascii(b, 0, "8BPS")) return "Photoshop (PSD)";
        if (b.length >= 4 && ascii(b, 0, "%PDF")) return "PDF";
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
        switch (new String(b, 12, 4, StandardCharsets.US_ASCII)) {
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

    /** Netpbm: "P1".."P6", then width and height as ASCII decimals separated by whitespace and # comments. */
    private static ImageInfo pnm(byte[] b) {
        String format = switch (b[1]) { case '1', '4' -> "PBM"; case '2', '5' -> "PGM"; default -> "PPM"; };
        int[] dims = new int[2];
        int i = 2;
        for (int k = 0; k < 2; k++) {
            while (i < b.length && (Character.isWhitespace(b[i]) || b[i] == '#')) {
                if (b[i] == '#') while (i < b.length && b[i] != '\n' && b[i] != '\r') i++;
                else i++;
            }
            long v = 0;
            int start = i;
            while (i < b.length && b[i] >= '0' && b[i] <= '9' && v <= Integer.MAX_VALUE) v = v * 10 + (b[i++] - '0');
            if (i == start || i >= b.length || v > Integer.MAX_VALUE) return new ImageInfo(format, 0, 0);
            dims[k] = (int) v;
        }
        return new ImageInfo(format, dims[0], dims[1]);
    }

    /** TIFF: byte order, first IFD, tags 256 (ImageWidth) and 257 (ImageLength), SHORT or LONG. */
    private static ImageInfo tiff(byte[] b) {
        boolean le = b[0] == 'I';
        if (b.length < 8) return new ImageInfo("TIFF", 0, 0);
        long ifd = u32(b, 4, le);
        if (ifd < 8 || ifd + 2 > b.length) return new ImageInfo("TIFF", 0, 0);
        int n = u16(b, (int) ifd, le), w = 0, h = 0;
        for (int e = 0; e < n; e++) {
            int p = (int) ifd + 2 + 12 * e;
            if (p + 12 > b.length) return new ImageInfo("TIFF", 0, 0);
            int tag = u16(b, p, le), type = u16(b, p + 2, le);
            long value = type == 3 ? u16(b, p + 8, le) : type == 4 ? u32(b, p + 8, le) : -1;
            if (value > Integer.MAX_VALUE) value = Integer.MAX_VALUE;
            if (tag == 256) w = (int) value;
            if (tag == 257) h = (int) value;
        }
        return new ImageInfo("TIFF", w, h);
    }

    private static boolean ascii(byte[] b, int at, String s) {
        if (at + s.length() > b.length) return false;
        for (int k = 0; k < s.length(); k++) if (b[at + k] != s.charAt(k)) return false;
        return true;
    }

    private static int u8(byte[] b, int i) { return b[i] & 0xFF; }

    private static int be16(byte[] b, int i) { return u8(b, i) << 8 | u8(b, i + 1); }

    private static int le16(byte[] b, int i) { return u8(b, i) | u8(b, i + 1) << 8; }

    private static int be32(byte[] b, int i) { return u8(b, i) << 24 | u8(b, i + 1) << 16 | u8(b, i + 2) << 8 | u8(b, i + 3); }

    private static int le32(byte[] b, int i) { return u8(b, i) | u8(b, i + 1) << 8 | u8(b, i + 2) << 16 | u8(b, i + 3) << 24; }

    private static int u16(byte[] b, int i, boolean le) { return le ? le16(b, i) : be16(b, i); }

    private static long u32(byte[] b, int i, boolean le) { return (le ? le32(b, i) : be32(b, i)) & 0xFFFFFFFFL; }

    private static String firstLine(String s) {
        if (s == null) return "no detail";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
