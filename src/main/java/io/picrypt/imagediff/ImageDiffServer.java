package io.picrypt.imagediff;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Evaluator;
import io.picrypt.ckks.Serializer;
import io.picrypt.imagediff.ImageDiffException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The server's side: holds no key. Validates two encrypted images (PCIM) and returns their encrypted
 * difference after - before (PCID) as (c0_after - c0_before, seed_after, seed_before); see
 * {@link ImageDiffClient} for why the seeds travel back. Work is parallel over ciphertexts.
 * Thread-safe: one instance may serve any number of requests.
 */
public final class ImageDiffServer {
    private static final Logger LOG = LoggerFactory.getLogger(ImageDiffServer.class);

    private final ImageDiffParameters params;
    private final CkksParameters ckks;
    private final Evaluator evaluator;
    private final long maxPixels;

    public ImageDiffServer(ImageDiffParameters params, long maxPixels) {
        if (maxPixels < 1) throw new IllegalArgumentException("pixel limit must be positive: " + maxPixels);
        this.params = params;
        this.ckks = params.ckks();
        this.evaluator = new Evaluator(ckks);
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
        IntStream.range(0, count).parallel().forEach(t -> {
            int inOff = ImageBlobs.HEADER_BYTES + t * inRecord;
            Ciphertext b = readCiphertext(beforeBlob, inOff, inRecord, ckks);
            Ciphertext a = readCiphertext(afterBlob, inOff, inRecord, ckks);
            Ciphertext d = evaluator.sub(a, b);
            int outOff = ImageBlobs.HEADER_BYTES + t * outRecord;
            int seedAt = inOff + ImageBlobs.PCCT_SEED_OFFSET;
            System.arraycopy(afterBlob, seedAt, out, outOff, ImageBlobs.SEED_BYTES);
            System.arraycopy(beforeBlob, seedAt, out, outOff + ImageBlobs.SEED_BYTES, ImageBlobs.SEED_BYTES);
            ImageBlobs.pack(d.component(0)[0], params.primeBits(), out, outOff + 2 * ImageBlobs.SEED_BYTES);
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
            throw new ImageDiffException(e.reason(), which + ": " + e.getMessage(), e);
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
