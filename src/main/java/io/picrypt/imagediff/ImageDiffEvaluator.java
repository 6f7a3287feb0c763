package io.picrypt.imagediff;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.SeededCiphertexts;
import io.picrypt.ckks.Serializer;
import io.picrypt.imagediff.ImageDiffException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Evaluator of image difference: evaluates with public evaluation keys only; never holds a secret key
 * (here it needs no key at all).
 *
 * <p>Validates two encrypted images (PCIM) and returns their encrypted
 * difference after - before (PCID) as (c0_after - c0_before, seed_after, seed_before): the homomorphic
 * subtraction (c0_a - c0_b, c1_a - c1_b) with the second component kept implicit as its two seeds,
 * which the key owner expands anyway (see {@link ImageDiffKeyOwner}). So the server only unpacks,
 * range-checks, subtracts mod q and packs; work is parallel over ciphertexts.
 * Thread-safe: one instance may serve any number of requests.
 */
public final class ImageDiffEvaluator {
    private static final Logger LOG = LoggerFactory.getLogger(ImageDiffEvaluator.class);

    private final ImageDiffParameters params;
    private final CkksParameters ckks;
    private final long maxPixels;

    public ImageDiffEvaluator(ImageDiffParameters params, long maxPixels) {
        if (maxPixels < 1) throw new IllegalArgumentException("pixel limit must be positive: " + maxPixels);
        this.params = params;
        this.ckks = params.ckks();
        this.maxPixels = maxPixels;
    }

    /** Standard parameters, default pixel limit ({@link ImageFiles#DEFAULT_MAX_PIXELS}). */
    public ImageDiffEvaluator() {
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
        ImageDiffKeyOwner.Tracker tracker = new ImageDiffKeyOwner.Tracker(count, progress);
        SeededCiphertexts records = params.records();
        IntStream.range(0, count).parallel().forEach(t -> {
            int inOff = ImageBlobs.HEADER_BYTES + t * inRecord;
            checkRecord(records, beforeBlob, inOff, "before", t);
            checkRecord(records, afterBlob, inOff, "after", t);
            try {
                records.subtract(afterBlob, inOff, beforeBlob, inOff, out, ImageBlobs.HEADER_BYTES + t * outRecord);
            } catch (CkksException e) {
                throw new ImageDiffException(Reason.MALFORMED, "ciphertext " + t + ": " + e.getMessage(), e);
            }
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
     * Every PCIM record must be a fresh seeded 2-component level-0 ciphertext of these CKKS parameters at the image
     * scale. Checking its header bytes replaces parsing: the subtraction needs only c0, so the server never expands seeds.
     */
    private static void checkRecord(SeededCiphertexts records, byte[] blob, int off, String which, int index) {
        String at = which + ": ciphertext " + index;
        switch (records.check(blob, off)) {
            case NONE -> { }
            case NOT_A_CIPHERTEXT -> throw new ImageDiffException(Reason.MALFORMED, at + " is not a PCCT v1 ciphertext");
            case OTHER_PARAMETERS -> throw new ImageDiffException(Reason.PARAMETER_MISMATCH, at + " was made for other CKKS parameters (fingerprint mismatch)");
            case NOT_FRESH_SEEDED -> throw new ImageDiffException(Reason.MALFORMED, at + " is not a fresh seeded 2-component level-0 ciphertext");
            case OTHER_SCALE -> throw new ImageDiffException(Reason.PARAMETER_MISMATCH, at + " is not at the image scale 2^7");
        }
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
