package io.picrypt.ckks;

import io.picrypt.ring.Primes;
import io.picrypt.ring.RingContext;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

/**
 * CKKS parameters: ring degree N, data primes q_0..q_L (q_0 first, rescaling drops from the end), an
 * optional special prime P used only for key switching, and a default scale. Validated against the
 * HomomorphicEncryption.org standard (128-bit classical security, ternary secret) unless the caller
 * explicitly asks for insecure test parameters.
 */
public final class CkksParameters {
    /** Max log2(QP) for 128-bit classical security with a ternary secret (HE standard, Table 1). */
    public static final Map<Integer, Integer> MAX_LOG_QP_128 = Map.of(
            1024, 27, 2048, 54, 4096, 109, 8192, 218, 16384, 438, 32768, 881);

    private final int n;
    private final long[] dataPrimes;
    private final long specialPrime; // 0 when there is none
    private final double defaultScale;
    private final boolean insecure;
    private final RingContext ring;   // data primes then special prime
    private final byte[] fingerprint; // SHA-256 over N, primes, special prime

    private CkksParameters(int n, long[] dataPrimes, long specialPrime, double defaultScale, boolean insecure) {
        if (Integer.bitCount(n) != 1 || n < 16 || n > 32768) throw new CkksException("N must be a power of two in [16, 32768]: " + n);
        if (dataPrimes.length == 0) throw new CkksException("at least one data prime is needed");
        if (!(defaultScale >= 1) || Double.isInfinite(defaultScale)) throw new CkksException("scale must be >= 1: " + defaultScale);
        this.n = n;
        this.dataPrimes = dataPrimes.clone();
        this.specialPrime = specialPrime;
        this.defaultScale = defaultScale;
        this.insecure = insecure;
        long[] all = specialPrime == 0 ? this.dataPrimes : Arrays.copyOf(this.dataPrimes, dataPrimes.length + 1);
        if (specialPrime != 0) all[dataPrimes.length] = specialPrime;
        if (Arrays.stream(all).distinct().count() != all.length) throw new CkksException("primes must be distinct");
        double logQP = 0;
        for (long p : all) logQP += Math.log(p) / Math.log(2);
        Integer max = MAX_LOG_QP_128.get(n);
        if (!insecure && (max == null || logQP > max)) {
            throw new CkksException(String.format("parameters N=%d, log2(QP)=%.1f are below 128-bit security (max %s); "
                    + "use insecureForTests() only in tests", n, logQP, max == null ? "n/a" : max.toString()));
        }
        this.ring = new RingContext(n, all);
        this.fingerprint = computeFingerprint();
    }

    /**
     * SEAL-style creation from bit sizes: every size but the last is a data prime; the last is the special
     * prime when {@code withSpecialPrime}, e.g. (8192, {60,40,40,60}, 2^40).
     */
    public static CkksParameters create(int n, int[] bitSizes, double scale, boolean withSpecialPrime) {
        long[] primes = Primes.forBitSizes(n, bitSizes);
        return of(n, primes, withSpecialPrime, scale, false);
    }

    /**
     * The distinct NTT-friendly primes (q = 1 mod 2N) of the given bit sizes that {@link #create} picks, in order: for
     * callers that check a prime before building parameters on it.
     */
    public static long[] primesFor(int n, int... bitSizes) {
        return Primes.forBitSizes(n, bitSizes);
    }

    public static CkksParameters create(int n, int[] bitSizes, double scale) {
        return create(n, bitSizes, scale, true);
    }

    /** Explicit primes; the last one is the special prime when {@code withSpecialPrime}. */
    public static CkksParameters of(int n, long[] primes, boolean withSpecialPrime, double scale, boolean insecureForTests) {
        long[] data = withSpecialPrime ? Arrays.copyOf(primes, primes.length - 1) : primes.clone();
        long special = withSpecialPrime ? primes[primes.length - 1] : 0;
        return new CkksParameters(n, data, special, scale, insecureForTests);
    }

    /** Parameters below the security standard, for fast tests only. */
    public static CkksParameters insecureForTests(int n, int[] bitSizes, double scale) {
        return of(n, Primes.forBitSizes(n, bitSizes), true, scale, true);
    }

    /** TenSEAL's face-verification setting: N=8192, {60,40,40,60}, scale 2^40. */
    public static CkksParameters defaultPreset() {
        return Presets.DEFAULT.get();
    }

    public int n() { return n; }

    public int slots() { return n / 2; }

    /** Index of the top data prime: a fresh ciphertext is at level maxLevel(). */
    public int maxLevel() { return dataPrimes.length - 1; }

    public long dataPrime(int i) { return dataPrimes[i]; }

    public long[] dataPrimes() { return dataPrimes.clone(); }

    public boolean hasSpecialPrime() { return specialPrime != 0; }

    public long specialPrime() { return specialPrime; }

    /** Index of the special prime in {@link #ring()}. */
    public int specialIndex() { return dataPrimes.length; }

    public double defaultScale() { return defaultScale; }

    public boolean isInsecure() { return insecure; }

    public RingContext ring() { return ring; }

    public double logQP() {
        double s = 0;
        for (int i = 0; i < ring.size(); i++) s += Math.log(ring.modulus(i).value()) / Math.log(2);
        return s;
    }

    public byte[] fingerprint() { return fingerprint.clone(); }

    public String fingerprintHex() { return HexFormat.of().formatHex(fingerprint); }

    private byte[] computeFingerprint() {
        ByteBuffer b = ByteBuffer.allocate(16 + 8 * (dataPrimes.length + 1));
        b.putInt(n).putInt(dataPrimes.length);
        for (long p : dataPrimes) b.putLong(p);
        b.putLong(specialPrime);
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(b.array()), 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CkksParameters p && Arrays.equals(fingerprint, p.fingerprint)
                && Double.compare(defaultScale, p.defaultScale) == 0;
    }

    @Override
    public int hashCode() { return Arrays.hashCode(fingerprint); }

    @Override
    public String toString() {
        return String.format("CKKS(N=%d, data primes=%s, special=%d, scale=2^%.1f, log2 QP=%.1f%s)", n,
                Arrays.toString(dataPrimes), specialPrime, Math.log(defaultScale) / Math.log(2), logQP(), insecure ? ", INSECURE" : "");
    }
}
