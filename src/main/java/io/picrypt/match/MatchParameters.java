package io.picrypt.match;

import io.picrypt.ckks.CkksParameters;

/**
 * Parameters of the encrypted matching protocol. Inner products are computed by one polynomial
 * multiplication of coefficient-encoded vectors (no rotations, no relinearization), so the server needs
 * no evaluation keys at all and the modulus needs no special prime: N = 4096 with a single 60-bit prime
 * (log2 Q = 60, far below the 109 bits the HE standard allows for 128-bit security at N = 4096).
 * Templates and probes are encoded at 2^27: the product sits at 2^54 < q/2 = 2^59 for |<x,y>| <= 1.
 */
public final class MatchParameters {
    public static final int N = 4096;
    /** Coefficients reserved per template: embeddings of up to 512 dimensions. */
    public static final int DIMENSION = 512;
    /** Templates packed into one ciphertext by the server (N / DIMENSION). */
    public static final int TEMPLATES_PER_CIPHERTEXT = N / DIMENSION;
    /**
     * Templates per ciphertext in a 1:1 verify answer: at most 6 of the 8 windows, so that window 6 of every product
     * is reached by no embedding (window 7 holds template 0's wrapped high lags) and carries only the planted check
     * values' share, which the client predicts exactly ({@link TemplateChecks}). A name's usual 1..6 templates still
     * fit one result ciphertext.
     */
    public static final int VERIFY_TEMPLATES_PER_CIPHERTEXT = 6;
    public static final double SCALE = Math.pow(2, 27);

    private static final CkksParameters PARAMS =
            CkksParameters.create(N, new int[]{60}, SCALE, false);

    private MatchParameters() {}

    public static CkksParameters get() { return PARAMS; }
}
