package io.picrypt.imagediff;

import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Encryptor;
import io.picrypt.ckks.SeededCiphertexts;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * CKKS parameters and sample packing for the encrypted image difference.
 *
 * <p>Subtraction needs no multiplication, so there is no rescaling and no key switching: a single data
 * prime, no special prime, depth 0. Samples are coefficient-encoded and several are packed into one
 * coefficient as digits of a mixed integer: coefficient j of ciphertext t holds
 * {@code SCALE * sum_d (s_{(t*N + j)*k + d} - 128) * 512^d} for k = {@link #digits()} samples.
 * The difference of two such ciphertexts decrypts to {@code SCALE * sum_d (a_d - b_d) * 512^d + e}
 * where every a_d - b_d is in [-255, 255] (fits a signed base-512 digit) and the noise |e| <= 2 * 19
 * (fresh symmetric encryption, Gaussian errors cut at {@code Encryptor.ERROR_BOUND} = 19) stays below
 * SCALE / 2 = 64: rounding by SCALE and reading the digits gives every difference back exactly, always.
 *
 * <p>Why this choice (measured with {@code picrypt bench diff --layout N:bits:k}, see docs/BENCHMARKS.md):
 * upload bytes per sample = bits(q) / k, and the work (sampling, NTT, AES seed expansion, packing)
 * scales with the number of coefficients = samples / k. A difference needs
 * 2 * (SCALE * 255 * (512^k - 1) / 511 + 38) < q, i.e. 9k + 7 bits; k = 6 would need 61 bits and
 * a plaintext beyond a double's exact range, so k = 5 with a 52-bit prime. The smallest N the HE
 * standard allows for log2 q = 52 at 128-bit security is 2048 (max 54 bits). So the default is
 * N = 2048, one 52-bit prime, k = 5, scale 2^7: 10.4 bits per sample uploaded, 10240 samples per
 * ciphertext. Centring samples at 128 keeps a single image's plaintext below q/2 as well, so one
 * encrypted image also decrypts (used by tests).
 */
public final class ImageDiffParameters {
    /** Bits per packed digit: base 512 holds a signed difference in [-255, 255]. */
    public static final int DIGIT_BITS = 9;
    /** Scale: the rounding margin 64 exceeds the worst-case noise of a difference (38). */
    public static final double SCALE = 128;
    /** Worst-case |noise| of the difference of two fresh symmetric ciphertexts. */
    static final long MAX_DIFF_NOISE = 2L * Encryptor.ERROR_BOUND;

    private static final ImageDiffParameters DEFAULT = of(2048, 52, 5);

    private final CkksParameters ckks;
    private final int digits;
    private final byte[] fingerprint;
    private final SeededCiphertexts records;

    private ImageDiffParameters(CkksParameters ckks, int digits) {
        this.ckks = ckks;
        this.digits = digits;
        this.fingerprint = computeFingerprint();
        this.records = new SeededCiphertexts(ckks, 0, SCALE);
    }

    /** The default: N = 2048, one 52-bit prime, 5 samples per coefficient, scale 2^7. */
    public static ImageDiffParameters standard() { return DEFAULT; }

    /**
     * Another layout (for measurements): ring degree n, one prime of primeBits bits, digits samples per
     * coefficient. Refused when rounding could fail or the ring is below 128-bit security.
     */
    public static ImageDiffParameters of(int n, int primeBits, int digits) {
        if (digits < 1 || digits > 5) throw new IllegalArgumentException("samples per coefficient must be in [1, 5]: " + digits);
        if (primeBits < 12 || primeBits > 61) throw new IllegalArgumentException("prime bits must be in [12, 61]: " + primeBits);
        long q = CkksParameters.primesFor(n, primeBits)[0];
        // largest |plaintext| of a difference: SCALE * 255 * (512^k - 1) / 511, plus noise, must stay below q/2
        BigInteger base = BigInteger.ONE.shiftLeft(DIGIT_BITS);
        BigInteger maxAbs = BigInteger.valueOf(255).multiply(base.pow(digits).subtract(BigInteger.ONE)).divide(base.subtract(BigInteger.ONE))
                .multiply(BigInteger.valueOf((long) SCALE)).add(BigInteger.valueOf(MAX_DIFF_NOISE));
        if (maxAbs.shiftLeft(1).compareTo(BigInteger.valueOf(q)) >= 0) {
            throw new IllegalArgumentException(digits + " samples per coefficient need a prime above 2 x " + maxAbs + ", got " + q);
        }
        // the Decryptor's fast path returns doubles: the plaintext must stay an exact double
        if (maxAbs.bitLength() > 53) throw new IllegalArgumentException(digits + " samples per coefficient overflow a double's 53-bit mantissa");
        CkksParameters p = CkksParameters.of(n, new long[]{q}, false, SCALE, false); // validates 128-bit security
        return new ImageDiffParameters(p, digits);
    }

    /** Parses "N:bits:digits", e.g. "2048:52:5". */
    public static ImageDiffParameters parse(String layout) {
        String[] f = layout.split(":");
        if (f.length != 3) throw new IllegalArgumentException("layout must be N:primeBits:digits, e.g. 2048:52:5");
        try {
            return of(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("layout must be N:primeBits:digits, e.g. 2048:52:5", e);
        }
    }

    public CkksParameters ckks() { return ckks; }

    /** The records of both formats: seeded level-0 ciphertexts at {@link #SCALE} and their seeded differences. */
    public SeededCiphertexts records() { return records; }

    public int n() { return ckks.n(); }

    /** Samples packed into one coefficient. */
    public int digits() { return digits; }

    public long prime() { return ckks.dataPrime(0); }

    public int primeBits() { return 64 - Long.numberOfLeadingZeros(prime()); }

    /** Samples carried by one ciphertext: N x digits. */
    public int samplesPerCiphertext() { return n() * digits; }

    /** Ciphertexts needed for width x height x channels samples. */
    public long ciphertextCount(long samples) {
        return (samples + samplesPerCiphertext() - 1) / samplesPerCiphertext();
    }

    /** 16 bytes: the CKKS fingerprint (N, prime) and the packing (digits, digit bits, scale). */
    public byte[] fingerprint() { return fingerprint.clone(); }

    public String fingerprintHex() { return HexFormat.of().formatHex(fingerprint); }

    boolean fingerprintMatches(byte[] other) { return Arrays.equals(fingerprint, other); }

    private byte[] computeFingerprint() {
        ByteBuffer b = ByteBuffer.allocate(64);
        b.put("picrypt-imagediff".getBytes(StandardCharsets.US_ASCII)).put(ckks.fingerprint())
                .putInt(digits).putInt(DIGIT_BITS).putDouble(SCALE);
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(b.array(), b.position())), 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return String.format("ImageDiffParameters(N=%d, q=%d (%d bits), %d samples/coefficient, scale 2^7, %.2f bits/sample)",
                n(), prime(), primeBits(), digits, (double) primeBits() / digits);
    }
}
