package io.picrypt.imagediff;

import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.Serializer;
import io.picrypt.imagediff.ImageDiffException.Reason;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The two wire formats (big-endian). Both start with the same 34-byte header:
 * <pre>
 * magic[4] ("PCIM" | "PCID") | version u8 (1) | fingerprint[16] (ImageDiffParameters) |
 * width u32 | height u32 | channels u8 (1 | 3) | ciphertext count u32
 * PCIM body: count x one seeded PCCT ciphertext (ckks Serializer format: (c0, seed), level 0), each exactly
 *            Serializer.ciphertextBytes(p, 2, 0, true) bytes
 * PCID body: count x (seed_after[32] | seed_before[32] | c0_after - c0_before: N coefficients of bits(q) bits,
 *            little-endian bit stream, NTT form)
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
    static final int SEED_BYTES = io.picrypt.ring.Sampler.SEED_BYTES;
    /** Offset of the seed inside a seeded PCCT blob: magic 4, version 1, fingerprint 16, flags/size/level 3, scale 8. */
    static final int PCCT_SEED_OFFSET = 32;

    private ImageBlobs() {}

    /** What a blob's header declares; validated against the parameters and the pixel limit. */
    public record Header(String magic, int width, int height, int channels, int ciphertexts) {
        public long samples() { return (long) width * height * channels; }

        public boolean sameShape(Header o) {
            return width == o.width && height == o.height && channels == o.channels && ciphertexts == o.ciphertexts;
        }
    }

    /** Bytes of one PCIM ciphertext record. */
    static int imageRecordBytes(ImageDiffParameters p) {
        return Math.toIntExact(Serializer.ciphertextBytes(p.ckks(), 2, 0, true));
    }

    /** Bytes of the packed c0 of one ciphertext: N coefficients of bits(q) bits. */
    static int packedPolyBytes(ImageDiffParameters p) {
        return Math.toIntExact(((long) p.n() * p.primeBits() + 7) / 8);
    }

    static int diffRecordBytes(ImageDiffParameters p) {
        return 2 * SEED_BYTES + packedPolyBytes(p);
    }

    static byte[] allocate(String magic, ImageDiffParameters p, int width, int height, int channels, int count) {
        int record = magic.equals(IMAGE_MAGIC) ? imageRecordBytes(p) : diffRecordBytes(p);
        long total = HEADER_BYTES + (long) count * record;
        if (total > Integer.MAX_VALUE - 16) throw new ImageDiffException(Reason.TOO_LARGE, "encrypted image would exceed 2 GiB");
        byte[] out = new byte[(int) total];
        ByteBuffer.wrap(out).put(magic.getBytes(StandardCharsets.US_ASCII)).put(VERSION).put(p.fingerprint())
                .putInt(width).putInt(height).put((byte) channels).putInt(count);
        return out;
    }

    /** Checks the header and the exact total length; returns the declared shape. */
    public static Header readHeader(byte[] blob, String magic, ImageDiffParameters p, long maxPixels) {
        String what = magic.equals(IMAGE_MAGIC) ? "encrypted image" : "encrypted difference";
        if (blob == null || blob.length < HEADER_BYTES) {
            throw new ImageDiffException(Reason.MALFORMED, "not an " + what + ": " + (blob == null ? 0 : blob.length) + " bytes, header alone is " + HEADER_BYTES);
        }
        ByteBuffer b = ByteBuffer.wrap(blob);
        byte[] m = new byte[4];
        b.get(m);
        String got = new String(m, StandardCharsets.US_ASCII);
        if (!got.equals(magic)) throw new ImageDiffException(Reason.MALFORMED, "not an " + what + " (magic " + printable(m) + ", expected " + magic + ")");
        int version = b.get();
        if (version != VERSION) throw new ImageDiffException(Reason.MALFORMED, "unsupported " + magic + " version " + version);
        byte[] fp = new byte[16];
        b.get(fp);
        if (!p.fingerprintMatches(fp)) {
            throw new ImageDiffException(Reason.PARAMETER_MISMATCH, what + " was made for other parameters (fingerprint mismatch)");
        }
        long width = b.getInt();
        long height = b.getInt();
        int channels = b.get() & 0xff;
        long count = Integer.toUnsignedLong(b.getInt());
        if (width < 1 || height < 1) throw new ImageDiffException(Reason.MALFORMED, what + " has bad dimensions " + width + "x" + height);
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
        long record = magic.equals(IMAGE_MAGIC) ? imageRecordBytes(p) : diffRecordBytes(p);
        long expectedLength = HEADER_BYTES + count * record;
        if (blob.length != expectedLength) {
            throw new ImageDiffException(Reason.MALFORMED, what + " is " + blob.length + " bytes, its header requires exactly " + expectedLength);
        }
        return new Header(magic, (int) width, (int) height, channels, (int) count);
    }

    // ---------------------------------------------------------------- packing one polynomial (PCID)

    /** Writes n coefficients of {@code bits} bits as a little-endian bit stream at {@code off} (the ciphertext format's packing). */
    static void pack(long[] coeffs, int bits, byte[] out, int off) {
        Serializer.packPoly(coeffs, bits, out, off);
    }

    /** Reads n coefficients written by {@link #pack}; each must be below q. */
    static long[] unpack(byte[] in, int off, int n, int bits, long q) {
        try {
            return Serializer.unpackPoly(in, off, n, bits, q);
        } catch (CkksException e) {
            throw new ImageDiffException(Reason.MALFORMED, e.getMessage());
        }
    }

    private static String printable(byte[] m) {
        StringBuilder s = new StringBuilder();
        for (byte c : m) s.append(c >= 32 && c < 127 ? String.valueOf((char) c) : String.format("\\x%02x", c & 0xff));
        return "\"" + s + "\"";
    }
}
