package io.picrypt.ckks;

/**
 * The secret key: ternary s, kept as small signed coefficients and in NTT form over every prime.
 * It never leaves the client; serialization requires {@link KeySerializer#writeSecretKey} explicitly.
 */
public final class SecretKey {
    final CkksParameters params;
    final long[] coeffs;   // in {-1, 0, 1}
    final long[][] ntt;    // over all primes (data + special)

    SecretKey(CkksParameters params, long[] coeffs) {
        this.params = params;
        this.coeffs = coeffs;
        this.ntt = params.ring().fromSigned(coeffs, io.picrypt.ring.RingContext.range(0, params.ring().size()));
        params.ring().forward(this.ntt, null);
    }

    public CkksParameters params() { return params; }

    @Override
    public String toString() { return "SecretKey(hidden)"; }
}
