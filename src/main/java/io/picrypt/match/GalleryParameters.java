package io.picrypt.match;

import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.ObliviousExpansion;
import io.picrypt.ring.Primes;

import java.util.List;

/**
 * Parameters of 1:N identification (column packing, see docs/PROTOCOL-gallery.md).
 * N = 8192, two 50-bit data primes and a 60-bit special prime (log2 QP ~ 160 <= 218, 128-bit secure).
 * Templates are stored at 2^40 and probes expanded to 2^40: the product (2^80 times |<x,p>| <= 1)
 * has 2^19 of headroom below Q/2 ~ 2^99, and the expansion noise (~2^16 per coefficient) lands
 * ~2^-20 below the result. Data primes stay below 2^53 so 512 products of (2q)^2 can be summed in
 * 128 bits before one reduction.
 */
public final class GalleryParameters {
    public static final int N = 8192;
    /** Identities per block: one per coefficient. */
    public static final int BLOCK_CAPACITY = N;
    /** Embedding dimensions: one column ciphertext per dimension, and the expansion fan-out. */
    public static final int DIMENSION = 512;
    /** Scale of stored templates (Dg). */
    public static final double TEMPLATE_SCALE = 0x1p40;
    /** Scale of an expanded probe dimension (Dp). */
    public static final double PROBE_SCALE = 0x1p40;
    /** Enrollment and probe ciphertexts are encrypted at scale / DIMENSION: expansion multiplies by DIMENSION. */
    public static final double ENROLL_WIRE_SCALE = TEMPLATE_SCALE / DIMENSION;
    public static final double PROBE_WIRE_SCALE = PROBE_SCALE / DIMENSION;

    private static final CkksParameters PARAMS =
            CkksParameters.of(N, Primes.forBitSizes(N, new int[]{50, 50, 60}), true, TEMPLATE_SCALE, false);
    /** Top level (both data primes); results are rescaled to level 0 before they are sent. */
    public static final int LEVEL = PARAMS.maxLevel();
    /** Scale of a result ciphertext after the server's rescale by the top data prime. */
    public static final double RESULT_SCALE = TEMPLATE_SCALE * PROBE_SCALE / PARAMS.dataPrime(LEVEL);

    static {
        for (long q : PARAMS.dataPrimes()) {
            // DIMENSION * (2q)^2 < q * 2^64 keeps the lazily accumulated sums reducible by Modulus.reduce128
            if (4.0 * DIMENSION * q >= 0x1p64) throw new ExceptionInInitializerError("data prime too large for lazy accumulation");
        }
    }

    private GalleryParameters() {}

    public static CkksParameters get() { return PARAMS; }

    /** The 9 Galois elements N/2^l + 1 (l = 0..8) of the probe/enrollment expansion. */
    public static List<Integer> galoisElements() {
        return ObliviousExpansion.galoisElements(N, DIMENSION);
    }
}
