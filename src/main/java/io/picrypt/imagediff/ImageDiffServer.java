package io.picrypt.imagediff;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Serializer;
import io.picrypt.imagediff.ImageDiffException.Reason;
import io.picrypt.ring.Modulus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The server's side: holds no key. Validates two encrypted images (PCIM) and returns their encrypted
 * difference after - before (PCID) as (c0_after - c0_before, seed_after, seed_before): the homomorphic
 * subtraction (c0_a - c0_b, c1_a - c1_b) with the second component kept implicit as its two seeds,
 * which the key owner expands anyway (see {@link ImageDiffClient}). So the server only unpacks,
 * range-checks, subtracts mod q and packs; work is parallel over ciphertexts.
 * Thread-safe: one instance may serve any number of requests.
 */
public final class ImageDiffServer {
    private static final Logger LOG = LoggerFactory.getLogger(ImageDiffServer.class);

    private final ImageDiffParameters params;
    private final CkksParameters ckks;
    private final long maxPixels;

    public ImageDiffServer(ImageDiffParameters params, long maxPixels) {
        if (maxPixels < 1) throw new IllegalArgumentException("pixel limit must be positive: " + maxPixels);
        this.params = params;
        this.ckks = params.ckks();
        this.maxPixels = maxPixels;
    }

    /** Standard parameters, default pixel limit ({@link ImageFiles#DEFAULT_MAX_PIXELS}). */
    public ImageDiffServer() {
        this(ImageDiffParameters.standard(), ImageFiles.DEFAULT_MAX_PIXELS);
    }

    public ImageDiffParameters parameters() { return params; }

    public long maxPixels() { return maxPixels; }

    /** Validates a PCIM header and length (not the ciphertexts): cheap, e.g. before queueing work. */
    public ImageBlobs.Header inspect(byte[] imageBlob) {
        return ImageBlobs.readHeader(imageBlob, ImageBlobs.IMAGE_MAGIC, params, maxPixels);
    }

    public byte[] subtract(byte[] beforeBlob, byte[] afterBlob) {
        return subtract(beforeBlob, afterBlob, ProgressListener.NONE);
    }

    /**
     * Encrypted after - before. Every failure is an {@link ImageDiffException} whose reason says what was
     * wrong (all are client errors: size, parameter or count mismatch, malformed or oversized input).
     */
    public byte[] subtract(byte[] beforeBlob, byte[] afterBlob, ProgressListener progress) {
        long start = System.nanoTime();
        ImageBlobs.Header before = inspectNamed(beforeBlob, "before");
        ImageBlobs.Header after = inspectNamed(afterBlob, "after");
        if (!before.sameShape(after)) {
            throw new ImageDiffException(Reason.SIZE_MISMATCH, String.format("images differ in size: before %dx%dx%d, after %dx%dx%d",
                    before.width(), before.height(), before.channels(), after.width(), after.height(), after.channels()));
        }
        int count = before.ciphertexts();
        int inRecord = ImageBlobs.imageRecordBytes(params);
        int outRecord = ImageBlobs.diffRecordBytes(params);
        byte[] out = ImageBlobs.allocate(ImageBlobs.DIFF_MAGIC, params, before.width(), before.height(), before.channels(), count);
        ImageDiffClient.Tracker tracker = new ImageDiffClient.Tracker(count, progress);
        byte[] template = recordHeader(ckks);
        int n = params.n(), bits = params.primeBits(), body = ImageBlobs.PCCT_SEED_OFFSET + ImageBlobs.SEED_BYTES;
        Modulus q = ckks.ring().modulus(0);
        IntStream.range(0, count).parallel().forEach(t -> {
            int inOff = ImageBlobs.HEADER_BYTES + t * inRecord;
            checkRecordHeader(beforeBlob, inOff, template, "before", t);
            checkRecordHeader(afterBlob, inOff, template, "after", t);
            long[] c0b = ImageBlobs.unpack(beforeBlob, inOff + body, n, bits, q.value());
            long[] c0a = ImageBlobs.unpack(afterBlob, inOff + body, n, bits, q.value());
            for (int j = 0; j < n; j++) c0a[j] = q.sub(c0a[j], c0b[j]);
            int outOff = ImageBlobs.HEADER_BYTES + t * outRecord;
            int seedAt = inOff + ImageBlobs.PCCT_SEED_OFFSET;
            System.arraycopy(afterBlob, seedAt, out, outOff, ImageBlobs.SEED_BYTES);
            System.arraycopy(beforeBlob, seedAt, out, outOff + ImageBlobs.SEED_BYTES, ImageBlobs.SEED_BYTES);
            ImageBlobs.pack(c0a, bits, out, outOff + 2 * ImageBlobs.SEED_BYTES);
            tracker.step();
        });
        LOG.debug("image diff {}x{}x{}: {} ciphertexts in {} ms", before.width(), before.height(), before.channels(), count,
                (System.nanoTime() - start) / 1_000_000);
        return out;
    }

    private ImageBlobs.Header inspectNamed(byte[] blob, String which) {
        try {
            return inspect(blob);
        } catch (ImageDiffException e) {
            // keep the root cause (a framing error stays recognisable as one)
            throw new ImageDiffException(e.reason(), which + ": " + e.getMessage(), e.getCause() == null ? e : e.getCause());
        }
    }

    /**
     * The 32 bytes every PCIM record starts with: a seeded ("flags 1"), 2-component, level-0 PCCT
     * ciphertext of these CKKS parameters at scale 2^7 (layout documented in ckks.Serializer). Comparing
     * against it replaces parsing: the subtraction needs only c0, so the server never expands the seeds.
     */
    static byte[] recordHeader(CkksParameters ckks) {
        ByteBuffer b = ByteBuffer.allocate(ImageBlobs.PCCT_SEED_OFFSET);
        b.put("PCCT".getBytes(StandardCharsets.US_ASCII)).put(Serializer.VERSION).put(ckks.fingerprint())
                .put((byte) 1).put((byte) 2).put((byte) 0).putDouble(ImageDiffParameters.SCALE);
        return b.array();
    }

    private static void checkRecordHeader(byte[] blob, int off, byte[] template, String which, int index) {
        if (Arrays.equals(blob, off, off + template.length, template, 0, template.length)) return;
        String at = which + ": ciphertext " + index;
        if (!Arrays.equals(blob, off, off + 5, template, 0, 5)) throw new ImageDiffException(Reason.MALFORMED, at + " is not a PCCT v1 ciphertext");
        if (!Arrays.equals(blob, off + 5, off + 21, template, 5, 21)) {
            throw new ImageDiffException(Reason.PARAMETER_MISMATCH, at + " was made for other CKKS parameters (fingerprint mismatch)");
        }
        if (!Arrays.equals(blob, off + 21, off + 24, template, 21, 24)) {
            throw new ImageDiffException(Reason.MALFORMED, at + " is not a fresh seeded 2-component level-0 ciphertext");
        }
        throw new ImageDiffException(Reason.PARAMETER_MISMATCH, at + " is not at the image scale 2^7");
    }

    /** One record of a PCIM body: must be a fresh seeded 2-component level-0 ciphertext at the image scale. */
    static Ciphertext readCiphertext(byte[] blob, int off, int length, CkksParameters ckks) {
        Ciphertext ct;
        try {
            ct = Serializer.readCiphertext(Arrays.copyOfRange(blob, off, off + length), ckks);
        } catch (CkksException e) {
            throw new ImageDiffException(Reason.MALFORMED, "bad ciphertext in encrypted image: " + e.getMessage(), e);
        }
        if (!ct.isSeeded() || ct.size() != 2 || ct.level() != 0) {
            throw new ImageDiffException(Reason.MALFORMED, "encrypted image must hold fresh seeded ciphertexts");
        }
        if (ct.scale() != ImageDiffParameters.SCALE) {
            throw new ImageDiffException(Reason.PARAMETER_MISMATCH, "ciphertext scale is not the image scale 2^7");
        }
        return ct;
    }
}
