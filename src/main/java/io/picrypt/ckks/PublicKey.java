package io.picrypt.ckks;

/** Public key (b, a) = (-a*s + e, a) over every prime (data primes, then the special prime), NTT form; a comes from {@code seed}. */
public final class PublicKey {
    final CkksParameters params;
    final long[][] b;
    final long[][] a;
    final byte[] seed;

    PublicKey(CkksParameters params, long[][] b, long[][] a, byte[] seed) {
        this.params = params;
        this.b = b;
        this.a = a;
        this.seed = seed;
    }

    public CkksParameters params() { return params; }
}
