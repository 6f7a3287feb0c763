package io.picrypt.match;

import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.ObliviousExpansion;
import io.picrypt.ring.Primes;

import java.util.List;

/**
 * Parameters of 1:N identification (column packing, see docs/PROTOCOL-gallery.md).
 * N = 8192, two 50-bit data primes and a 60-bit special prime (log2 QP ~ 160 <= 218, 128-bit secure).
 * Templates are stored at 2^40 and probes expanded to 2^40: the product (2^80 times |<x,p>| <= 1)
 * has 2^19 of headroom below Q/2 ~ 2^99, and the expansion noise (~2^15 per coefficient) lands
 * far below the result (measured max |d^2 error| ~2e-5). Data primes stay below 2^53 so COLUMNS
 * products of (2q)^2 can be summed in 128 bits before one reduction.
 */
public final class GalleryParameters {
    public static final int N = 8192;
    /** Embedding dimensions. */
    public static final int DIMENSION = 512;
    /**
     * Dimensions per column (D'): column e holds dimensions PACK*e .. PACK*e+PACK-1 of each identity,
     * PACK coefficients per identity. PACK = 2 halves the probe expansion (255 instead of 511 key
     * switches) for twice the response bytes per identity; see docs/PROTOCOL-gallery.md.
     */
    public static final int PACK = 2;
    /** Column ciphertexts per block, and the expansion fan-out E. */
    public static final int COLUMNS = DIMENSION / PACK;
    /** Identities per block. */
    public static final int BLOCK_CAPACITY = N / PACK;
    /** Scale of stored templates (Dg). */
    public static final double TEMPLATE_SCALE = 0x1p40;
    /** Scale of an expanded probe dimension (Dp). */
    public static final double PROBE_SCALE = 0x1p40;
    /** Enrollment and probe ciphertexts are encrypted at scale / COLUMNS: the expansion multiplies by COLUMNS. */
    public static final double ENROLL_WIRE_SCALE = TEMPLATE_SCALE / COLUMNS;
    public static final double PROBE_WIRE_SCALE = PROBE_SCALE / COLUMNS;

    private static final CkksParameters PARAMS =
            CkksParameters.of(N, Primes.forBitSizes(N, new int[]{50, 50, 60}), true, TEMPLATE_SCALE, false);
    /** Top level (both data primes); results are rescaled to level 0 before they are sent. */
    public static final int LEVEL = PARAMS.maxLevel();
    /** Scale of a result ciphertext after the server's rescale by the top data prime. */
    public static final double RESULT_SCALE = TEMPLATE_SCALE * PROBE_SCALE / PARAMS.dataPrime(LEVEL);

    static {
        for (long q : PARAMS.dataPrimes()) {
            // COLUMNS * (2q)^2 < q * 2^64 keeps the lazily accumulated sums reducible by Modulus.reduce128
            if (4.0 * COLUMNS * q >= 0x1p64) throw new ExceptionInInitializerError("data prime too large for lazy accumulation");
        }
    }

    private GalleryParameters() {}

    public static CkksParameters get() { return PARAMS; }

    /** The Galois elements N/2^l + 1 (l = 0..log2 COLUMNS - 1) of the probe/enrollment expansion. */
    public static List<Integer> galoisElements() {
        return ObliviousExpansion.galoisElements(N, COLUMNS);
    }

    /**
     * Coefficient of slot s (dimension PACK*e + d of slot s sits at position(s) + d*COLUMNS of column e):
     * slots fill coefficients r + PACK*COLUMNS*u, r < COLUMNS, leaving room for the other PACK - 1 dimensions.
     */
    public static int position(int slot) {
        return PACK * COLUMNS * (slot / COLUMNS) + slot % COLUMNS;
    }
}
