package io.picrypt.match;

import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.ObliviousExpansion;

import java.util.List;

/**
 * Parameters of 1:N identification (column packing, see docs/PROTOCOL.md, "1:N at scale").
 * N = 8192, data primes q0 (58 bits) and q1 (50 bits), special prime P (60 bits): log2 QP ~ 168 <= 218,
 * 128-bit secure. Probes and enrollments travel at both primes, at a scale that includes q1; the server
 * rescales by q1 inside the expansion (after {@link #EXPANSION_RESCALE_AFTER} of its 7 levels), which divides the
 * input's noise (multiplied by 128 with the message) by 2^50 and leaves the rescale rounding (~21 per coefficient)
 * doubled by each later level (~67 rms measured). Columns, products
 * and results live at q0 alone (half the memory traffic and work of two primes): templates at 2^28,
 * probes at 2^27, results at 2^55 ~ q0 / 8 for |<x,p>| <= 1. Products are exact mod q0, one per pair of columns and
 * Karatsuba term (Winograd's pairing, {@link io.picrypt.ckks.ProductSum}).
 */
public final class GalleryParameters {
    public static final int N = 8192;
    /**
     * The layout's version, sent by clients with every gallery request (header X-PiCrypt-Gallery-Layout) and written into
     * stored blocks: 1 = 512 values at PACK 4 (until issue 16 round 9), 2 = 256 values of the gallery basis at PACK 2.
     */
    public static final int LAYOUT = 2;
    /**
     * Dimensions of a gallery vector: the model's 512-value embedding projected onto the key owner's 256-direction basis
     * ({@link GalleryProjection}; the default model's outputs span ~160-192 dimensions, so no decision of the three
     * development sets changes: docs/BENCHMARKS.md "Fewer dimensions for the gallery"). Half the products of 512.
     */
    public static final int DIMENSION = 256;
    /**
     * Dimensions per column (D'): column e holds dimensions PACK*e .. PACK*e+PACK-1 of each identity,
     * PACK coefficients per identity. With 256 dimensions PACK = 2 keeps the expansion at 128 columns (127 key switches,
     * as 512 / PACK 4 did) and leaves 2 result coefficients per identity: 4,096 identities per block, so the compact
     * answer carries half the coefficients per identity (docs/PROTOCOL.md, "1:N at scale").
     */
    public static final int PACK = 2;
    /** Column ciphertexts per block, and the expansion fan-out E. */
    public static final int COLUMNS = DIMENSION / PACK;
    /** Identities per block. */
    public static final int BLOCK_CAPACITY = N / PACK;
    /**
     * Levels of the 7-level expansion run at both data primes before every ciphertext is rescaled by q1; the last
     * 7 - 5 = 2 levels (96 of the 127 key switches) run at q0 alone, at ~6 NTTs per key switch instead of ~12, and no
     * rescale of the 128 outputs follows. The price: the rescale's rounding (~21 per coefficient) and the later key
     * switches' errors are doubled by each later level. Measured (docs/PROTOCOL.md "Noise and precision"): expansion CPU
     * 200-250 ms instead of 380-420 (sequential), output noise rms 67 instead of 21 at 2^27 (3.1x).
     */
    public static final int EXPANSION_RESCALE_AFTER = 5;

    private static final CkksParameters PARAMS =
            CkksParameters.create(N, new int[]{58, 50, 60}, 0x1p28, true);
    /** Level of probes and enrollments on the wire and during the expansion (both data primes). */
    public static final int LEVEL = PARAMS.maxLevel();
    /** Level of stored columns, expanded probes and results (q0 only). */
    public static final int STORE_LEVEL = 0;
    /** Scale of stored templates (Dg). */
    public static final double TEMPLATE_SCALE = 0x1p28;
    /** Scale of an expanded, rescaled probe ciphertext (Dp). */
    public static final double PROBE_SCALE = 0x1p27;
    /** Wire scales: the expansion multiplies by COLUMNS, the rescale divides by q1. */
    public static final double ENROLL_WIRE_SCALE = TEMPLATE_SCALE * PARAMS.dataPrime(LEVEL) / COLUMNS;
    public static final double PROBE_WIRE_SCALE = PROBE_SCALE * PARAMS.dataPrime(LEVEL) / COLUMNS;
    /** Scale of a result ciphertext: Dg * Dp. */
    public static final double RESULT_SCALE = TEMPLATE_SCALE * PROBE_SCALE;
    /**
     * Compact answer (PCGR v2, {@link io.picrypt.ckks.CompactCiphertext}): each block's result is switched from q0 down
     * to c1 mod 2^RESULT_LOG_T1 (all N coefficients) and c0 mod 2^RESULT_LOG_T0 at the BLOCK_CAPACITY distance
     * positions only. The message scale becomes RESULT_SCALE 2^24 / q0 ~ 2^21; the switch adds at most
     * ((2^8 + ||s||_1) / 2) / 2^21 <= 2.01e-3 to an inner product (4.0e-3 to d^2) for any ternary key (worst case: every
     * rounding error aligned; measured max 4.3e-4 on d^2 over 3,000,003 decisions at 1M), docs/PROTOCOL.md "Compact
     * gallery answer". 8.0 bytes per identity (2 x 24 bits of c1 + 16 bits of c0) instead of 16.6 at 512 / PACK 4.
     */
    public static final int RESULT_LOG_T1 = 24, RESULT_LOG_T0 = 16;
    /** Message scale of a compact result: RESULT_SCALE * 2^RESULT_LOG_T1 / q0. */
    public static final double COMPACT_RESULT_SCALE = RESULT_SCALE * Math.scalb(1.0, RESULT_LOG_T1) / PARAMS.dataPrime(0);
    /** Worst-case error the switch adds to a decrypted inner product, for any ternary key. */
    public static final double COMPACT_SWITCH_ERROR =
            io.picrypt.ckks.CompactCiphertext.worstSwitchingError(N, RESULT_LOG_T0, RESULT_LOG_T1, COMPACT_RESULT_SCALE);

    static {
        long q0 = PARAMS.dataPrime(STORE_LEVEL);
        // |<x,p>| <= 1.01 for the accepted norms (GalleryKeyOwner): results stay below q0/2 with a factor ~3.9 to spare
        if (RESULT_SCALE * 1.01 * 2 > q0 / 2.0) throw new ExceptionInInitializerError("no headroom for results below q0/2");
        // compact answer: |<x,p>| <= 1.011 plus noise and the switch's error stays below t1/2 (a factor ~2 to spare), the
        // switch's worst case leaves decisions planted 0.01 from the threshold exact (2 x (2.5e-3 + NOISE_BOUND) < 0.01),
        // and the bit-packed halves end on byte boundaries (no padding bits a parser would have to check)
        if ((1.02 + COMPACT_SWITCH_ERROR) * COMPACT_RESULT_SCALE >= Math.scalb(1.0, RESULT_LOG_T1 - 1) / 2
                || COMPACT_SWITCH_ERROR > 2.5e-3 || (N * RESULT_LOG_T1) % 8 != 0 || (BLOCK_CAPACITY * RESULT_LOG_T0) % 8 != 0) {
            throw new ExceptionInInitializerError("compact answer moduli do not fit");
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

    private static final int[] POSITIONS = java.util.stream.IntStream.range(0, BLOCK_CAPACITY).map(GalleryParameters::position).toArray();

    /** position(s) for s = 0..BLOCK_CAPACITY-1 (strictly increasing): the coefficients a compact answer keeps. */
    public static int[] distancePositions() { return POSITIONS.clone(); }
}
