package io.picrypt.imagediff;

import java.nio.ByteBuffer;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.util.Arrays;

/**
 * A SecureRandom that serves the output of a DRBG from a 16 KiB buffer, with a fast
 * {@link #nextGaussian()}. The ckks Sampler draws each error coefficient through
 * SecureRandom.nextGaussian, which in the JDK costs two synchronized doubles, four 4-byte requests and
 * their allocations: measured 2.0 s per million Gaussians straight from a DRBG (0.74 s from NativePRNG),
 * the largest cost of encrypting an image. Here the same polar method as java.util.Random.nextGaussian
 * takes its 53-bit uniforms from the buffered DRBG bytes. One instance per thread.
 */
final class BufferedSecureRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final Spi spi;
    private double nextNextGaussian;
    private boolean haveNextNextGaussian;

    BufferedSecureRandom() {
        this(new Spi(newSource()));
    }

    private BufferedSecureRandom(Spi spi) {
        super(spi, null);
        this.spi = spi;
    }

    private static SecureRandom newSource() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }

    /** Standard normal by Marsaglia's polar method (as java.util.Random), uniforms from the DRBG. */
    @Override
    public synchronized double nextGaussian() {
        if (haveNextNextGaussian) {
            haveNextNextGaussian = false;
            return nextNextGaussian;
        }
        double v1, v2, s;
        do {
            v1 = 2 * spi.nextUniform() - 1;
            v2 = 2 * spi.nextUniform() - 1;
            s = v1 * v1 + v2 * v2;
        } while (s >= 1 || s == 0);
        double multiplier = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
        nextNextGaussian = v2 * multiplier;
        haveNextNextGaussian = true;
        return v1 * multiplier;
    }

    private static final class Spi extends SecureRandomSpi {
        private static final long serialVersionUID = 1L;
        private final SecureRandom source;
        private final byte[] buffer = new byte[16 * 1024];
        private final ByteBuffer view = ByteBuffer.wrap(buffer);
        private int pos = buffer.length;

        Spi(SecureRandom source) {
            this.source = source;
        }

        private void refill() {
            source.nextBytes(buffer);
            pos = 0;
        }

        /** Uniform in [0, 1) with 53 random bits. */
        synchronized double nextUniform() {
            if (pos + 8 > buffer.length) refill();
            long bits = view.getLong(pos);
            view.putLong(pos, 0); // served bytes do not linger
            pos += 8;
            return (bits >>> 11) * 0x1.0p-53;
        }

        @Override
        protected synchronized void engineSetSeed(byte[] seed) {
            source.setSeed(seed);
            pos = buffer.length; // never serve bytes drawn before the reseed
        }

        @Override
        protected synchronized void engineNextBytes(byte[] out) {
            int done = 0;
            while (done < out.length) {
                if (pos == buffer.length) refill();
                int take = Math.min(out.length - done, buffer.length - pos);
                System.arraycopy(buffer, pos, out, done, take);
                Arrays.fill(buffer, pos, pos + take, (byte) 0);
                pos += take;
                done += take;
            }
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            return source.generateSeed(numBytes);
        }
    }
}
