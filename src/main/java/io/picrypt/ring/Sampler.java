package io.picrypt.ring;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * Randomness for lattice cryptography. Secrets and errors come from an AES-256-CTR keystream under a fresh
 * SecureRandom key per polynomial (a CSPRNG, one SecureRandom call per polynomial); uniform polynomials are
 * expanded from a 32-byte seed with AES-256 in counter mode (a PRF), so a seeded ciphertext can travel as
 * (c0, seed) and anyone can re-derive the same uniform polynomial.
 */
public final class Sampler {
    private static final VarHandle LE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle BE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

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

    /**
     * Cumulative distribution of |v| for v = round(N(0, SIGMA^2)) conditioned on |v| <= ERROR_BOUND, scaled to 2^63:
     * |v| <= k iff a uniform 63-bit u is below CDT[k]. The probabilities are integrals of the Gaussian density over
     * [k - 1/2, k + 1/2] (Simpson's rule; the table's 2^-63 granularity dominates its error).
     */
    private static final long[] CDT = cumulativeTable();

    private static long[] cumulativeTable() {
        double[] mass = new double[ERROR_BOUND + 1];
        double total = 0;
        for (int k = 0; k <= ERROR_BOUND; k++) {
            double lo = k == 0 ? 0 : k - 0.5, hi = k + 0.5;
            int steps = 4000;
            double h = (hi - lo) / steps, sum = 0;
            for (int i = 0; i <= steps; i++) {
                double x = lo + i * h;
                double f = Math.exp(-x * x / (2 * SIGMA * SIGMA));
                sum += (i == 0 || i == steps) ? f : (i % 2 == 1 ? 4 * f : 2 * f);
            }
            mass[k] = 2 * sum * h / 3; // both signs (for k = 0: the half-intervals [-1/2, 0] and [0, 1/2])
            total += mass[k];
        }
        long[] cdt = new long[ERROR_BOUND];
        double acc = 0;
        for (int k = 0; k < ERROR_BOUND; k++) {
            acc += mass[k];
            cdt[k] = (long) Math.floor(acc / total * 0x1p63);
        }
        return cdt;
    }

    /**
     * Keystream bytes from AES-256-CTR under a fresh 32-byte SecureRandom key: one SecureRandom call per polynomial
     * instead of one per coefficient (SecureRandom.nextGaussian cost about a microsecond per coefficient).
     */
    private byte[] randomBytes(int length) {
        return keystream(newSeed(), 0, 0, 0, length);
    }

    /** Per-thread counter and output buffers and AES instance of {@link #keystream}: sampling allocates no buffers. */
    private static final class KeystreamBuffers {
        byte[] counters = new byte[0], out = new byte[0];
        Cipher aes;
    }

    private static final ThreadLocal<KeystreamBuffers> BUFFERS = ThreadLocal.withInitial(KeystreamBuffers::new);

    /**
     * AES-256-CTR keystream bytes [16 * firstBlock, 16 * firstBlock + length) for the counter block
     * (hi64 | mid32 | block number), computed as AES-ECB over the counter blocks: byte-identical to the JDK's
     * "AES/CTR/NoPadding" with IV (hi64 | mid32 | 0) (our block numbers never carry past 32 bits), but 4-5x faster
     * because the JDK's CTR loop is not intrinsified while ECB over a buffer is. Returns this thread's reusable
     * buffer: bytes [0, length) are the keystream (the buffer may be longer); valid until the next call on this thread.
     */
    private static byte[] keystream(byte[] key, long hi64, int mid32, int firstBlock, int length) {
        int blocks = (length + 15) / 16;
        KeystreamBuffers kb = BUFFERS.get();
        if (kb.counters.length < 16 * blocks) {
            kb.counters = new byte[16 * blocks];
            kb.out = new byte[16 * blocks];
        }
        byte[] counters = kb.counters;
        for (int b = 0; b < blocks; b++) {
            int o = 16 * b;
            BE_LONG.set(counters, o, hi64);
            BE_INT.set(counters, o + 8, mid32);
            BE_INT.set(counters, o + 12, firstBlock + b);
        }
        try {
            if (kb.aes == null) kb.aes = Cipher.getInstance("AES/ECB/NoPadding");
            kb.aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            kb.aes.doFinal(counters, 0, 16 * blocks, kb.out, 0);
            return kb.out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES unavailable", e);
        }
    }

    /** Ternary coefficients, uniform over {-1, 0, 1}. */
    public long[] ternary(int n) {
        long[] out = new long[n];
        int filled = 0;
        while (filled < n) {
            int len = n - filled + 64;
            byte[] buf = randomBytes(len);
            for (int i = 0; i < len && filled < n; i++) {
                int b = buf[i] & 0xff;
                if (b >= 255) continue; // 255 = 3 * 85: reject to stay exactly uniform
                out[filled++] = (b % 3) - 1;
            }
            java.util.Arrays.fill(buf, 0, len, (byte) 0); // secret-key randomness does not linger in the reused buffer
        }
        return out;
    }

    /**
     * Centred discrete Gaussian: round(N(0, 3.2^2)) restricted to +-19, by table lookup (CDT) on 64-bit words; the
     * scan over the table has no data-dependent branches.
     */
    public long[] gaussian(int n) {
        long[] out = new long[n];
        byte[] bytes = randomBytes(8 * n);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            long w = bb.getLong();
            long u = w >>> 1;
            long k = 0;
            for (long c : CDT) k += (c - 1 - u) >>> 63; // 1 when u >= c
            long sign = -(w & 1);                        // 0 or -1
            out[i] = (k ^ sign) - sign;                  // k or -k
        }
        java.util.Arrays.fill(bytes, 0, 8 * n, (byte) 0); // error randomness does not linger in the reused buffer
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
        for (int l = 0; l < primeIdx.length; l++) {
            long q = ring.modulus(primeIdx[l]).value();
            int bits = 64 - Long.numberOfLeadingZeros(q);
            long mask = bits == 64 ? -1L : (1L << bits) - 1;
            // AES-256-CTR with IV (stream | prime index | 0), as 8-byte little-endian words, rejection-sampled
            int block = 8 * n / 16;
            byte[] ks = keystream(seed, stream, primeIdx[l], 0, 8 * n);
            int ksLength = 8 * n;
            long[] o = out[l];
            int j = 0, pos = 0;
            while (j < n) {
                if (pos == ksLength) {
                    ks = keystream(seed, stream, primeIdx[l], block, 8 * 64);
                    ksLength = 8 * 64;
                    block += 8 * 64 / 16;
                    pos = 0;
                }
                long v = (long) LE_LONG.get(ks, pos) & mask;
                pos += 8;
                if (Long.compareUnsigned(v, q) < 0) o[j++] = v; // rejection keeps it exactly uniform
            }
        }
        return out;
    }

    /** Uniform polynomial from fresh SecureRandom bytes. */
    public long[][] uniform(RingContext ring, int[] primeIdx) {
        return uniformFromSeed(newSeed(), 0, ring, primeIdx);
    }
}
