package io.picrypt.imagediff;

import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.MalformedFrameException;
import io.picrypt.imagediff.ImageDiffException.Reason;


/**
 * The two wire formats (big-endian). Both start with the same 34-byte header:
 * <pre>
 * magic[4] ("PCIM" | "PCID") | version u8 (1) | fingerprint[16] (ImageDiffParameters) |
 * width u32 | height u32 | channels u8 (1 | 3) | ciphertext count u32
 * PCIM body: count x one seeded ciphertext record (level 0, scale 2^7; ckks SeededCiphertexts)
 * PCID body: count x one seeded difference record after - before (ckks SeededCiphertexts)
 * </pre>
 * Readers check magic, version, fingerprint, dimensions and pixel limit, that the count is exactly
 * ceil(width*height*channels / samplesPerCiphertext), and that the body has exactly count x record bytes,
 * all before allocating anything proportional to the declared sizes.
 */
public final class ImageBlobs {
    public static final String IMAGE_MAGIC = "PCIM";
    public static final String DIFF_MAGIC = "PCID";
    public static final byte VERSION = 1;
    public static final int HEADER_BYTES = 4 + 1 + 16 + 4 + 4 + 1 + 4;
    /** Samples are indexed by int: no image may have more (about 715 MP of RGB). */
    static final long MAX_SAMPLES = Integer.MAX_VALUE - 8;

    private ImageBlobs() {}

    /** What a blob's header declares; validated against the parameters and the pixel limit. */
    public record Header(String magic, int width, int height, int channels, int ciphertexts) {
        public long samples() { return (long) width * height * channels; }

        public boolean sameShape(Header o) {
            return width == o.width && height == o.height && channels == o.channels && ciphertexts == o.ciphertexts;
        }
    }

    /** Bytes of one PCIM ciphertext record: a seeded ciphertext. */
    static int imageRecordBytes(ImageDiffParameters p) {
        return p.records().ciphertextBytes();
    }

    /** Bytes of one PCID record: a seeded difference. */
    static int diffRecordBytes(ImageDiffParameters p) {
        return p.records().differenceBytes();
    }

    /** The header, then room for {@code count} records that the caller fills in place (in parallel). */
    static byte[] allocate(String magic, ImageDiffParameters p, int width, int height, int channels, int count) {
        int record = magic.equals(IMAGE_MAGIC) ? imageRecordBytes(p) : diffRecordBytes(p);
        long total = HEADER_BYTES + (long) count * record;
        if (total > Integer.MAX_VALUE - 16) throw new ImageDiffException(Reason.TOO_LARGE, "encrypted image would exceed 2 GiB");
        return new FrameWriter(magic, VERSION, total).bytes(p.fingerprint()).u32(width).u32(height).u8(channels).u32(count).toByteArray(total);
    }

    /**
     * Checks the header and the exact total length; returns the declared shape. A framing error (magic, version,
     * length) is reason MALFORMED, with the kit's {@link MalformedFrameException} as its cause.
     */
    public static Header readHeader(byte[] blob, String magic, ImageDiffParameters p, long maxPixels) {
        String what = magic.equals(IMAGE_MAGIC) ? "encrypted image" : "encrypted difference";
        try {
            FrameReader r = FrameReader.open(blob, magic, VERSION, what);
            r.need(HEADER_BYTES - 5);
            if (!p.fingerprintMatches(r.bytes(16))) {
                throw new ImageDiffException(Reason.PARAMETER_MISMATCH, what + " was made for other parameters (fingerprint mismatch)");
            }
            long width = r.u32(), height = r.u32();
            int channels = r.u8();
            long count = r.u32();
            if (width < 1 || height < 1 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
                throw new ImageDiffException(Reason.MALFORMED, what + " has bad dimensions " + (int) width + "x" + (int) height);
            }
            if (channels != 1 && channels != 3) throw new ImageDiffException(Reason.MALFORMED, what + " has " + channels + " channels (1 or 3 allowed)");
            // both below 2^31: the products cannot overflow a long
            if (width * height > maxPixels || width * height > MAX_SAMPLES / channels) {
                throw new ImageDiffException(Reason.TOO_LARGE, what + " is " + width + "x" + height + ", over the limit of "
                        + Math.min(maxPixels, MAX_SAMPLES / channels) + " pixels");
            }
            long expectedCount = p.ciphertextCount(width * height * channels);
            if (count != expectedCount) {
                throw new ImageDiffException(Reason.COUNT_MISMATCH, what + " has " + count + " ciphertexts, " + width + "x" + height + "x" + channels
                        + " needs " + expectedCount);
            }
            r.exactly(count * (magic.equals(IMAGE_MAGIC) ? imageRecordBytes(p) : diffRecordBytes(p)), count + " records");
            return new Header(magic, (int) width, (int) height, channels, (int) count);
        } catch (MalformedFrameException e) {
            throw new ImageDiffException(Reason.MALFORMED, e.getMessage(), e);
        }
    }
}
