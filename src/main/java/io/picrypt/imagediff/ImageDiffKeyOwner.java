package io.picrypt.imagediff;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Decryptor;
import io.picrypt.ckks.Encoder;
import io.picrypt.ckks.Encryptor;
import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;
import io.picrypt.imagediff.ImageDiffException.Reason;

import java.awt.image.BufferedImage;
import java.util.stream.IntStream;

/**
 * Key owner of image difference: holds the secret key: encrypts, decrypts, decides.
 *
 * <p>The key owner's side: encrypts images (PCIM) with the secret key and decrypts differences (PCID).
 *
 * <p>Encryption is symmetric and seeded: each ciphertext travels as (c0, 32-byte seed of c1), half the
 * size of (c0, c1). The difference (c0_a - c0_b, a_a - a_b) is not seeded any more, so the server
 * returns (c0_a - c0_b, seed_a, seed_b) and this class re-expands both uniform polynomials: the download
 * stays half size too, at the cost of two AES-CTR expansions per ciphertext here.
 * Ciphertexts are independent, so both directions run in parallel over ciphertexts (common pool).
 */
public final class ImageDiffKeyOwner {
    private final ImageDiffParameters params;
    private final CkksParameters ckks;
    private final SecretKey sk;
    private final Encoder encoder;
    private final Decryptor decryptor;
    private final Encryptor encryptor;

    public ImageDiffKeyOwner(ImageDiffParameters params, SecretKey sk) {
        if (!sk.params().equals(params.ckks())) throw new IllegalArgumentException("secret key belongs to other parameters than " + params);
        this.params = params;
        this.ckks = params.ckks();
        this.sk = sk;
        this.encoder = new Encoder(ckks);
        this.decryptor = new Decryptor(ckks, sk);
        this.encryptor = new Encryptor(ckks); // thread-safe; its sampler draws only 32-byte seeds from SecureRandom
    }

    /** A client with a fresh secret key for the given parameters. */
    public static ImageDiffKeyOwner withNewKey(ImageDiffParameters params) {
        return new ImageDiffKeyOwner(params, new KeyGenerator(params.ckks()).secretKey());
    }

    public ImageDiffParameters parameters() { return params; }

    public SecretKey secretKey() { return sk; }

    public byte[] encrypt(BufferedImage image) {
        return encrypt(ImageFiles.fromBufferedImage(image), ProgressListener.NONE);
    }

    public byte[] encrypt(RawImage image) {
        return encrypt(image, ProgressListener.NONE);
    }

    /** PCIM: header + one seeded ciphertext per {@code samplesPerCiphertext} samples. */
    public byte[] encrypt(RawImage image, ProgressListener progress) {
        byte[] samples = image.samplesShared();
        int total = samples.length;
        int count = Math.toIntExact(params.ciphertextCount(total));
        byte[] out = ImageBlobs.allocate(ImageBlobs.IMAGE_MAGIC, params, image.width(), image.height(), image.channels(), count);
        int record = ImageBlobs.imageRecordBytes(params);
        int n = params.n(), k = params.digits(), per = params.samplesPerCiphertext();
        Tracker tracker = new Tracker(count, progress);
        IntStream.range(0, count).parallel().forEach(t -> {
            long[] coeffs = new long[n];
            int base = t * per;
            for (int j = 0; j < n; j++) {
                long x = 0;
                for (int d = k - 1; d >= 0; d--) {
                    int i = base + j * k + d;
                    int centred = i < total ? (samples[i] & 0xff) - 128 : 0; // padding encodes as 0
                    x = (x << ImageDiffParameters.DIGIT_BITS) + centred;
                }
                coeffs[j] = x * (long) ImageDiffParameters.SCALE;
            }
            Ciphertext ct = encryptor.encryptSymmetric(encoder.encodeIntegers(coeffs, ImageDiffParameters.SCALE, 0), sk);
            byte[] bytes = Serializer.writeCiphertext(ct, ckks, true);
            if (bytes.length != record) throw new IllegalStateException("ciphertext serialized to " + bytes.length + " bytes, expected " + record);
            System.arraycopy(bytes, 0, out, ImageBlobs.HEADER_BYTES + t * record, record);
            tracker.step();
        });
        return out;
    }

    public DiffImage decrypt(byte[] diffBlob) {
        return decrypt(diffBlob, ProgressListener.NONE);
    }

    /** Decrypts a PCID blob from the server into the exact per-sample difference after - before. */
    public DiffImage decrypt(byte[] diffBlob, ProgressListener progress) {
        ImageBlobs.Header h = ImageBlobs.readHeader(diffBlob, ImageBlobs.DIFF_MAGIC, params, Long.MAX_VALUE);
        int total = Math.toIntExact(h.samples());
        short[] diff = new short[total];
        int record = ImageBlobs.diffRecordBytes(params);
        int n = params.n(), k = params.digits(), per = params.samplesPerCiphertext();
        Tracker tracker = new Tracker(h.ciphertexts(), progress);
        IntStream.range(0, h.ciphertexts()).parallel().forEach(t -> {
            long[] values = decryptRounded(diffBlob, ImageBlobs.HEADER_BYTES + t * record);
            int base = t * per;
            for (int j = 0; j < n; j++) {
                long x = values[j];
                for (int d = 0; d < k; d++) {
                    int r = (int) (x & 511);
                    if (r > 255) r -= 512;
                    x = (x - r) >> ImageDiffParameters.DIGIT_BITS;
                    int i = base + j * k + d;
                    if (i < total) {
                        if (r < -255) throw decryptionFailed();
                        diff[i] = (short) r;
                    } else if (r != 0) {
                        throw decryptionFailed(); // padding must decrypt to zero
                    }
                }
                if (x != 0) throw decryptionFailed();
            }
            tracker.step();
        });
        return new DiffImage(h.width(), h.height(), h.channels(), diff);
    }

    /**
     * Decrypts one encrypted image (PCIM) back to its pixels: a round-trip check for the key owner.
     */
    public RawImage decryptImage(byte[] imageBlob) {
        ImageBlobs.Header h = ImageBlobs.readHeader(imageBlob, ImageBlobs.IMAGE_MAGIC, params, Long.MAX_VALUE);
        int total = Math.toIntExact(h.samples());
        byte[] samples = new byte[total];
        int record = ImageBlobs.imageRecordBytes(params);
        int n = params.n(), k = params.digits(), per = params.samplesPerCiphertext();
        IntStream.range(0, h.ciphertexts()).parallel().forEach(t -> {
            int off = ImageBlobs.HEADER_BYTES + t * record;
            Ciphertext ct = ImageDiffEvaluator.readCiphertext(imageBlob, off, record, ckks);
            long[] values = round(decryptor.decryptCoefficients(ct));
            int base = t * per;
            for (int j = 0; j < n; j++) {
                long x = values[j];
                for (int d = 0; d < k; d++) {
                    int r = (int) (x & 511);
                    if (r > 255) r -= 512;
                    x = (x - r) >> ImageDiffParameters.DIGIT_BITS;
                    int i = base + j * k + d;
                    if (i < total) {
                        if (r < -128 || r > 127) throw decryptionFailed();
                        samples[i] = (byte) (r + 128);
                    } else if (r != 0) {
                        throw decryptionFailed();
                    }
                }
                if (x != 0) throw decryptionFailed();
            }
        });
        return new RawImage(h.width(), h.height(), h.channels(), samples);
    }

    /** The rounded plaintext of the seeded difference record at {@code off} (both seeds expanded in ckks). */
    private long[] decryptRounded(byte[] diffBlob, int off) {
        try {
            return round(decryptor.decryptCoefficients(params.records().difference(diffBlob, off)));
        } catch (CkksException e) {
            throw new ImageDiffException(Reason.MALFORMED, "bad encrypted difference: " + e.getMessage(), e);
        }
    }

    /**
     * Decrypted values are exact in a double: the valid plaintext plus noise stays below 2^52 for every
     * allowed layout (k <= 5, since k = 6 would need a 62-bit prime), and dividing by 2^7 is exact.
     */
    private static long[] round(double[] v) {
        long[] out = new long[v.length];
        for (int j = 0; j < v.length; j++) out[j] = Math.round(v[j]);
        return out;
    }

    private static ImageDiffException decryptionFailed() {
        return new ImageDiffException(Reason.DECRYPTION_FAILED,
                "decryption did not give a valid difference: wrong key, or the data was altered");
    }

    /** Counts finished ciphertexts and reports them in order, one report at a time. */
    static final class Tracker {
        private final long total;
        private final ProgressListener listener;
        private long done;

        Tracker(long total, ProgressListener listener) {
            this.total = total;
            this.listener = listener;
            if (listener != ProgressListener.NONE) listener.progress(0, total);
        }

        synchronized void step() {
            listener.progress(++done, total);
        }
    }
}
