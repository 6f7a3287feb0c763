package io.picrypt.ring;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * Randomness for lattice cryptography. Secrets and errors come from SecureRandom only; uniform
 * polynomials are expanded from a 32-byte seed with AES-256 in counter mode (a PRF), so a seeded
 * ciphertext can travel as (c0, seed) and anyone can re-derive the same uniform polynomial.
 */
public final class Sampler {
    public static final double SIGMA = 3.2;
    /** Errors are bounded at 6 sigma (19), like SEAL's default noise_max_deviation. */
    public static final int ERROR_BOUND = 19;
    public static final int SEED_BYTES = 32;

    private final SecureRandom random;

    public Sampler(SecureRandom random) {
        this.random = random;
    }

    public Sampler() {
        this(new SecureRandom());
    }

    public byte[] newSeed() {
        byte[] s = new byte[SEED_BYTES];
        random.nextBytes(s);
        return s;
    }

    /** Ternary coefficients, uniform over {-1, 0, 1}. */
    public long[] ternary(int n) {
        long[] out = new long[n];
        byte[] buf = new byte[n];
        int filled = 0;
        while (filled < n) {
            random.nextBytes(buf);
            for (int i = 0; i < buf.length && filled < n; i++) {
                int b = buf[i] & 0xff;
                if (b >= 255) continue; // 255 = 3 * 85: reject to stay exactly uniform
                out[filled++] = (b % 3) - 1;
            }
        }
        return out;
    }

    /** Centred discrete Gaussian (sigma 3.2) by rounding, rejected outside +-19. */
    public long[] gaussian(int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long v;
            do {
                v = Math.round(random.nextGaussian() * SIGMA);
            } while (Math.abs(v) > ERROR_BOUND);
            out[i] = v;
        }
        return out;
    }

    /**
     * Uniform polynomial over the given primes, expanded from seed (domain separates each call by
     * {@code stream}). Sampled directly as NTT-domain values: the NTT is a bijection, so a uniform
     * vector in either domain is uniform in the other.
     */
    public static long[][] uniformFromSeed(byte[] seed, long stream, RingContext ring, int[] primeIdx) {
        if (seed.length != SEED_BYTES) throw new IllegalArgumentException("seed must be " + SEED_BYTES + " bytes");
        int n = ring.n();
        long[][] out = new long[primeIdx.length][n];
        try {
            Cipher aes = Cipher.getInstance("AES/CTR/NoPadding");
            for (int l = 0; l < primeIdx.length; l++) {
                long q = ring.modulus(primeIdx[l]).value();
                int bits = 64 - Long.numberOfLeadingZeros(q);
                long mask = bits == 64 ? -1L : (1L << bits) - 1;
                byte[] iv = ByteBuffer.allocate(16).putLong(stream).putInt(primeIdx[l]).putInt(0).array();
                aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(iv));
                byte[] zeros = new byte[8 * n];
                ByteBuffer bb = ByteBuffer.wrap(aes.update(zeros)).order(ByteOrder.LITTLE_ENDIAN);
                int j = 0;
                while (j < n) {
                    if (!bb.hasRemaining()) bb = ByteBuffer.wrap(aes.update(new byte[8 * 64])).order(ByteOrder.LITTLE_ENDIAN);
                    long v = bb.getLong() & mask;
                    if (Long.compareUnsigned(v, q) < 0) out[l][j++] = v; // rejection keeps it exactly uniform
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CTR unavailable", e);
        }
        return out;
    }

    /** Uniform polynomial from fresh SecureRandom bytes. */
    public long[][] uniform(RingContext ring, int[] primeIdx) {
        return uniformFromSeed(newSeed(), 0, ring, primeIdx);
    }
}
